// Services start one at a time with a turn of the event loop before each, so that I/O waiting
// meanwhile (a request to /healthz during a start on PGlite) is handled between two services.
import { expect, it } from 'vitest';
import { startInTurn, type Service } from '../../src/lib/service.js';

it('lets I/O that came during one service start run before the next service starts', async () => {
  const order: string[] = [];
  const service = (name: string, busy = false): Service => ({
    async start() {
      order.push(`start ${name}`);
      // What a request arriving meanwhile looks like to the event loop: a callback of a later turn.
      if (busy) setImmediate(() => order.push(`io during ${name}`));
      // A start made of awaited microtasks only (as PGlite's statements are).
      for (let i = 0; i < 100; i++) await Promise.resolve();
      order.push(`started ${name}`);
    },
    async stop() {},
  });
  await startInTurn([service('a', true), service('b', true), service('c')]);
  expect(order).toEqual(['start a', 'started a', 'io during a', 'start b', 'started b', 'io during b', 'start c', 'started c']);
});

// Database.signal: the enqueuer's wake-up after a commit. On PostgreSQL a NOTIFY that every
// replica's LISTEN hears; on the embedded engine (one process) a call of this process's listeners.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { openPostgres } from '../../src/db/postgres.js';
import { fromPGlite } from '../../src/db/pglite.js';
import { waitFor } from '../support/wait.js';

describeEachEngine('Database.signal', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterAll(async () => database?.drop());

  it('reaches every listener of the channel, and no other channel, until they stop listening', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const other: string[] = [];
    const stopA = await database.db.listen('herald_test_signal', (p) => a.push(p));
    const stopB = await database.db.listen('herald_test_signal', (p) => b.push(p));
    const stopOther = await database.db.listen('herald_test_other', (p) => other.push(p));
    await database.db.signal('herald_test_signal', 'one');
    await waitFor(() => a.length === 1 && b.length === 1);
    expect([a, b]).toEqual([['one'], ['one']]);
    await stopA();
    await database.db.signal('herald_test_signal', 'two');
    await waitFor(() => b.length === 2);
    // A NOTIFY sent by a statement still reaches the listener as before.
    await database.db.query(`SELECT pg_notify('herald_test_signal', 'three')`);
    await waitFor(() => b.length === 3);
    // Nothing more arrived for the stopped listener or the other channel: each signal and NOTIFY
    // reaches all of a channel's listeners at once, so they would have had 'two' by now.
    expect(a).toEqual(['one']);
    expect(b).toEqual(['one', 'two', 'three']);
    expect(other).toEqual([]);
    await stopB();
    await stopOther();
  });

  it('reaches the listeners of another handle on the same database (another replica, or another wrapper of the engine)', async () => {
    const second =
      engine === 'postgres'
        ? openPostgres({ url: database.url! })
        : fromPGlite(database.pglite!);
    try {
      const got: string[] = [];
      const stop = await second.listen('herald_test_signal', (p) => got.push(p));
      await database.db.signal('herald_test_signal', 'across');
      await waitFor(() => got.length === 1);
      expect(got).toEqual(['across']);
      await stop();
    } finally {
      if (engine === 'postgres') await second.close();
    }
  });
});

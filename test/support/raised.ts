// Observes which notification templates the code under test raises, and how (issue 21: every
// catalogue template must be raised by a real event in some test, not enqueued by the test).
//
// src/notifications/raised.ts publishes every raise synchronously at the enqueuer (and at the
// grouping release); this module subscribes and classifies each raise by its synchronous call
// stack: a raise whose stack has a test-file frame before the first async boundary was handed to
// the enqueuer by a test (directly, or through a src helper the test called); anything else came
// from the running server: an HTTP request, a build, a tick, a timer. The per-file records are
// written by raised-setup.ts and checked at the end of a whole run by summary-reporter.ts.
import { subscribe } from 'node:diagnostics_channel';
import { fileURLToPath } from 'node:url';
import { RAISED_CHANNEL, type RaisedEvent } from '../../src/notifications/raised.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TESTS = `${ROOT}test/`;

export interface Raise {
  templateId: string;
  direct: boolean;
  /** The first frame outside the notifications enqueue path: who raised it. */
  caller: string;
  test?: string;
}

export interface RaisedRecord {
  file: string;
  raises: { templateId: string; direct: boolean; caller: string; test?: string }[];
}

const frameFile = (f: string) => /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(f)?.[1]?.replace(/^file:\/\//, '') ?? '';

/** Classifies one raise from the stack captured at its publication. */
export function classify(stack: string): { direct: boolean; caller: string } {
  const frames = stack.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('at '));
  const ours = (f: string) => /src\/notifications\/(raised|enqueue)\.ts|test\/support\/raised\.ts|node:|\/node_modules\//.test(f);
  const sync: string[] = [];
  for (const f of frames) {
    if (f.startsWith('at async ')) break;
    sync.push(f);
  }
  const direct = sync.some((f) => frameFile(f).startsWith(TESTS) && !frameFile(f).startsWith(`${TESTS}support/raised`));
  const callerFrame = frames.find((f) => !ours(f)) ?? '';
  return { direct, caller: frameFile(callerFrame).replace(ROOT, '') || callerFrame };
}

/** Raises seen in this test file so far. */
export const raises: Raise[] = [];
let current: () => string | undefined = () => undefined;
let started = false;

export function startObserving(currentTest: () => string | undefined): void {
  if (started) return;
  started = true;
  current = currentTest;
  subscribe(RAISED_CHANNEL, (msg) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 100;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    const c = classify(stack);
    const test = current();
    for (const templateId of (msg as RaisedEvent).templateIds) raises.push({ templateId, ...c, test });
  });
}

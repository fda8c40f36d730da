// setupFiles: observe the notification templates raised while this test file runs and write them,
// when the file ends, to the run's record folder (one JSON file per test file and engine pass).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, inject } from 'vitest';
import { raises, startObserving, type RaisedRecord } from './raised.js';

startObserving(() => expect.getState().currentTestName);

afterAll(() => {
  const dir = inject('raisedDir');
  if (!dir || !fs.existsSync(dir)) return;
  const file = expect.getState().testPath ?? 'unknown';
  const record: RaisedRecord = {
    file: path.relative(process.cwd(), file),
    // One entry per template, direct and real kept apart: enough for the check, small on disk.
    raises: [...new Map(raises.map((r) => [`${r.templateId}:${r.direct}`, r])).values()],
  };
  fs.writeFileSync(path.join(dir, `${process.pid}-${crypto.randomUUID()}.json`), JSON.stringify(record));
});

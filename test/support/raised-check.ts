import fs from 'node:fs';
import path from 'node:path';
import type { TestModule, Vitest } from 'vitest/node';
import { CATALOGUE } from '../../src/notifications/templates/catalogue.js';
import type { RaisedRecord } from './raised.js';

/**
 * The end-of-run check: every catalogue template was raised by a real event (see raised.ts) in
 * some test of this run. Only a whole run can tell; a partial run (files or -t filter) says that
 * it skipped the check. HERALD_RAISED_CHECK=1 forces it (to see it fail on a partial run).
 */
export async function checkRaised(vitest: Vitest | undefined, modules: ReadonlyArray<TestModule>): Promise<{ lines: string[]; failed: number }> {
  const dir = process.env.HERALD_RAISED_DIR;
  if (!dir || !fs.existsSync(dir)) return { lines: [], failed: 0 };
  const records: RaisedRecord[] = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RaisedRecord);
  fs.rmSync(dir, { recursive: true, force: true });
  const all = vitest ? await vitest.globTestSpecifications() : [];
  const files = new Set(all.map((s) => s.moduleId));
  const whole = !!vitest && !vitest.config.testNamePattern && modules.length >= files.size;
  const forced = process.env.HERALD_RAISED_CHECK === '1';
  if (!whole && !forced) {
    return {
      lines: [
        `[herald tests] catalogue coverage: partial run (${modules.length} of ${files.size} files${vitest?.config.testNamePattern ? ', -t filter' : ''}); ` +
          'the check that every catalogue template is raised by a real event was skipped (it runs with the whole suite, or HERALD_RAISED_CHECK=1).',
      ],
      failed: 0,
    };
  }
  const real = new Map<string, string>();
  const direct = new Set<string>();
  for (const r of records) {
    for (const x of r.raises) {
      if (x.direct) direct.add(x.templateId);
      else if (!real.has(x.templateId)) real.set(x.templateId, `${r.file}${x.test ? ` > ${x.test}` : ''}`);
    }
  }
  const missing = CATALOGUE.filter((c) => !real.has(c.id));
  const lines = [`[herald tests] catalogue coverage: ${CATALOGUE.length - missing.length} of ${CATALOGUE.length} templates raised by a real event in this run.`];
  for (const c of missing) {
    lines.push(`[herald tests]   NEVER RAISED by a real event: ${c.name} (${c.id})${direct.has(c.id) ? ' — only enqueued directly by a test' : ''}`);
  }
  if (process.env.HERALD_RAISED_VERBOSE === '1') for (const c of CATALOGUE) if (real.has(c.id)) lines.push(`[herald tests]   ${c.name}: ${real.get(c.id)}`);
  return { lines, failed: missing.length ? 1 : 0 };
}

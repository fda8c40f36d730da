import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

// The architecture rules live in .dependency-cruiser.cjs; this runs them as part of `npm test`.

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const run = promisify(execFile);

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}
interface CruiseResult {
  modules: { source: string; dependencies: { resolved: string; coreModule?: boolean; couldNotResolve?: boolean }[] }[];
  summary: { violations: Violation[]; totalCruised: number };
}

async function cruise(cwd: string): Promise<CruiseResult> {
  // depcruise exits non-zero when a rule is broken; its JSON report is on stdout either way.
  const out = await run(process.execPath, [BIN, 'src', 'web/src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  return JSON.parse(out.stdout) as CruiseResult;
}

const describeViolations = (v: Violation[]) => v.map((x) => `${x.rule.name}: ${x.from} → ${x.to}`).join('\n');

/**
 * The top-level folders of src/ (each a layer or a feature: api, auth, notifications, platform …) that
 * import each other, directly or through others: Tarjan's strongly connected components. Inside a
 * folder, the module-level no-circular rule applies.
 */
const folderOf = (file: string) => file.split('/').slice(0, 2).join('/');

function folderCycles(result: CruiseResult): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const m of result.modules) {
    if (!m.source.startsWith('src/')) continue;
    const from = folderOf(m.source);
    for (const d of m.dependencies) {
      if (d.coreModule || d.couldNotResolve || !d.resolved.startsWith('src/')) continue;
      const to = folderOf(d.resolved);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

/** A copy of the sources (and the rules) with node_modules linked, to break on purpose. */
function tempCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-boundaries-'));
  temps.push(dir);
  for (const p of ['src', 'web/src', 'tsconfig.json', '.dependency-cruiser.cjs', 'package.json']) {
    fs.cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function addImport(dir: string, file: string, spec: string) {
  const f = path.join(dir, file);
  fs.writeFileSync(f, `import '${spec}';\n` + fs.readFileSync(f, 'utf8'));
}

describe('architecture', () => {
  it('every import follows the rules in .dependency-cruiser.cjs', async () => {
    const result = await cruise(ROOT);
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(describeViolations(result.summary.violations)).toBe('');
  });

  it('no folder in src/ imports itself back through other folders', async () => {
    expect(folderCycles(await cruise(ROOT))).toEqual([]);
  });

  it('fails when a rule is broken', async () => {
    const dir = tempCopy();
    addImport(dir, 'src/notifications/preferences.ts', '../api/errors.js'); // a service speaking HTTP
    addImport(dir, 'src/contract/common.ts', '../lib/errors.js'); // the contract reaching into src/
    addImport(dir, 'src/db/migrate.ts', '../platform/events.js'); // the database layer knowing a feature
    addImport(dir, 'web/src/main.tsx', '../../src/lib/logger.js'); // the dashboard past the contract
    const broken = new Set((await cruise(dir)).summary.violations.map((v) => `${v.rule.name} ${v.from} ${v.to}`));
    expect(broken).toContain('services-never-speak-http src/notifications/preferences.ts src/api/errors.ts');
    expect(broken).toContain('contract-stands-alone src/contract/common.ts src/lib/errors.ts');
    expect(broken).toContain('db-is-the-bottom src/db/migrate.ts src/platform/events.ts');
    expect(broken).toContain('web-through-the-contract web/src/main.tsx src/lib/logger.ts');
  });

  it('finds a folder-level cycle', async () => {
    const dir = tempCopy();
    // lib/ → db/ while db/ → lib/: a cycle between two folders even without a module-level one.
    fs.writeFileSync(path.join(dir, 'src/lib/cycle-probe.ts'), "export { MIGRATION_LOCK } from '../db/locks.js';\n");
    fs.writeFileSync(path.join(dir, 'src/db/cycle-probe.ts'), "export { systemClock } from '../lib/service.js';\n");
    const cycles = folderCycles(await cruise(dir));
    expect(cycles.some((c) => c.includes('src/db') && c.includes('src/lib'))).toBe(true);
  });
});

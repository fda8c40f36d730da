import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Longest files first, so the two workers finish together: a long file that starts late leaves the
// other worker idle at the end of the run. Vitest orders by the durations of the previous run, which
// a clean clone (CI) does not have: it falls back to file size, which says little (a 130-line file
// that waits out a 30 s grouping window ran last). durations.json holds each file's wall time from a
// full run (Node.js 22, both engines); the previous run's own figure wins when there is one.
const RECORDED = path.join(path.dirname(fileURLToPath(import.meta.url)), 'durations.json');

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const recorded = (fs.existsSync(RECORDED) ? JSON.parse(fs.readFileSync(RECORDED, 'utf8')) : {}) as Record<string, number>;
    const base = await super.sort(files); // failed first, then the previous run's durations, else size
    const root = this.ctx.config.root;
    const info = (f: TestSpecification) => {
      const rel = path.relative(root, f.moduleId).split(path.sep).join('/');
      const last = this.ctx.cache.getFileTestResults(`${f.project.name}:${rel}`);
      return { failed: !!last?.failed, ms: last?.duration ?? (rel in recorded ? recorded[rel] * 1000 : undefined) };
    };
    const order = new Map(base.map((f, i) => [f, i]));
    return [...base].sort((a, b) => {
      const x = info(a);
      const y = info(b);
      if (x.failed !== y.failed) return x.failed ? -1 : 1;
      // A file never timed (new) goes first, as vitest does: it may be long.
      if ((x.ms === undefined) !== (y.ms === undefined)) return x.ms === undefined ? -1 : 1;
      if (x.ms !== undefined && y.ms !== undefined && x.ms !== y.ms) return y.ms - x.ms;
      return order.get(a)! - order.get(b)!;
    });
  }
}

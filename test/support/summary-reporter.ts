import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { checkRaised } from './raised-check.js';

// Prints the plain closing line "N passed, N failed, N skipped" that CI reads, after the
// end-of-run catalogue coverage check (raised-check.ts), which counts as one failure when it fails.
export default class SummaryReporter implements Reporter {
  private vitest?: Vitest;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  async onTestRunEnd(modules: ReadonlyArray<TestModule>): Promise<void> {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped++;
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    const coverage = await checkRaised(this.vitest, modules);
    if (coverage.lines.length) process.stdout.write(`\n${coverage.lines.join('\n')}\n`);
    if (coverage.failed) {
      failed += coverage.failed;
      process.exitCode = 1;
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

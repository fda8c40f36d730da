import { defineConfig } from 'vitest/config';

// `npm run test:soak`: the reliability and security suites with their counts scaled up
// (HERALD_SOAK=1), one file at a time so that their figures are not skewed by each other.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    env: { HERALD_SOAK: '1' },
    testTimeout: 3_600_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});

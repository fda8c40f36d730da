// Refreshes test/support/durations.json (the order a clean clone runs the test files in, longest
// first: test/support/sequencer.ts) from the last run's vitest results. Run it after a full
// `npm test` on Node.js 22 with both engines, when files were added or changed a lot.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cacheDir = path.join(root, 'node_modules/.vite/vitest');
const caches = fs.existsSync(cacheDir)
  ? fs.readdirSync(cacheDir).map((d) => path.join(cacheDir, d, 'results.json')).filter((f) => fs.existsSync(f))
  : [];
if (!caches.length) {
  console.error('no vitest results found: run `npm test` first');
  process.exit(1);
}
const latest = caches.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
const { results } = JSON.parse(fs.readFileSync(latest, 'utf8'));
const out = {};
for (const [key, r] of results) {
  const file = key.replace(/^[^:]*:/, '');
  if (fs.existsSync(path.join(root, file)) && r.duration) out[file] = Math.round(r.duration / 100) / 10;
}
const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
const target = path.join(root, 'test/support/durations.json');
fs.writeFileSync(target, JSON.stringify(sorted, null, 1) + '\n');
console.log(`wrote ${Object.keys(sorted).length} files' durations (${Math.round(Object.values(sorted).reduce((a, b) => a + b, 0))} s in all) to test/support/durations.json`);

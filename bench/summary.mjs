// bench/summary: one table of every issue-24 target, from the newest result file of each bench
// script in bench/results/ (each writes a `targets` array: id, label, figure, target, met; see
// bench/lib.mjs writeResult). Run last by `npm run bench`; `node bench/summary.mjs` reprints it.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { table } from './lib.mjs';

const dir = fileURLToPath(new URL('./results/', import.meta.url));
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
// <script>-<ISO time with : and . as ->.json: keep the newest per script.
const newest = new Map();
for (const f of files) {
  const m = /^(.*)-(\d{4}-\d{2}-\d{2}T[\d-]+Z)\.json$/.exec(f);
  if (!m) continue;
  const prev = newest.get(m[1]);
  if (!prev || prev.stamp < m[2]) newest.set(m[1], { file: f, stamp: m[2] });
}
const rows = [];
for (const [script, { file, stamp }] of newest) {
  let data;
  try {
    data = JSON.parse(fs.readFileSync(dir + file, 'utf8'));
  } catch {
    continue;
  }
  if (!Array.isArray(data.targets)) continue;
  // A script records the load as text, as { before, after }, or in its machine block.
  const raw = data.loadavg ?? data.machine?.loadavg?.map((x) => Math.round(x * 10) / 10).join(' ') ?? '';
  const load = typeof raw === 'object' ? String(raw.before ?? '') : String(raw);
  const when = stamp.replace(/T(\d\d)-(\d\d)-(\d\d)-\d+Z$/, ' $1:$2:$3Z');
  for (const t of data.targets) {
    rows.push({ id: t.id, target: t.label, figure: t.figure, wanted: t.target, verdict: t.met ? 'met' : 'NOT met', script: `bench/${script}.mjs`, 'load avg': load, when });
  }
}
const key = (id) => String(id).replace(/\d+/g, (d) => d.padStart(4, '0'));
rows.sort((a, b) => (key(a.id) < key(b.id) ? -1 : key(a.id) > key(b.id) ? 1 : 0));
if (!rows.length) {
  console.log('bench/summary: no result with targets in bench/results/ (run the bench scripts first)');
} else {
  console.log(`\nbench/summary — issue 24 targets, newest result of each script (load average when that script started)\n`);
  table(rows);
  const met = rows.filter((r) => r.verdict === 'met').length;
  console.log(`\n${met} of ${rows.length} targets met`);
}

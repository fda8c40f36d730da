import { PGlite } from '@electric-sql/pglite';
import fs from 'node:fs'; import { execSync } from 'node:child_process';
const dir = '/tmp/cold/r' + process.pid; fs.mkdirSync(dir); execSync(`tar xf dist/db/pglite-snapshot.tar -C ${dir}`);
const m = JSON.parse(fs.readFileSync('dist/db/pglite-snapshot.json'));
let t = performance.now(); const pg = await PGlite.create(dir); console.log('create', (performance.now() - t).toFixed(0));
const order = process.argv[2] === 'rev' ? [...m.restamp].reverse() : m.restamp;
await pg.exec('BEGIN; SET LOCAL session_replication_role = replica;');
for (const s of order) { t = performance.now(); await pg.exec(s); console.log((performance.now() - t).toFixed(1).padStart(6), s.slice(0, 70)); }
t = performance.now(); await pg.exec('COMMIT'); console.log('commit', (performance.now() - t).toFixed(1));
t = performance.now(); await pg.query('SELECT version FROM schema_migrations'); console.log('q', (performance.now() - t).toFixed(1));
await pg.close(); fs.rmSync(dir, { recursive: true });

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPGliteSnapshot, openPGlite } from '../../src/db/pglite.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';

// A fresh data directory of the embedded engine is unpacked from a migrated snapshot built with the
// package, instead of initdb + every migration. Built here from the first migrations only, so the
// test sees which path a start took.
describe('embedded database: fresh data directory from the build snapshot', () => {
  let tmp: string;
  let snapshot: string;
  const all = loadMigrations();
  const first = all.slice(0, 3);
  const started = new Date(Date.now() - 1000);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-snap-'));
    snapshot = path.join(tmp, 'snap.tar');
    await buildPGliteSnapshot(snapshot, first);
  }, 120_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('gives a fresh directory the message partitions of its start\'s days, from a snapshot built days before', async () => {
    // A snapshot of every migration whose latest day partitions are gone, as one built days ago.
    const full = path.join(tmp, 'full.tar');
    await buildPGliteSnapshot(full, all);
    const { PGlite } = await import('@electric-sql/pglite');
    const old = await PGlite.create({ loadDataDir: new Blob([fs.readFileSync(full)]) });
    const day = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    for (const d of [1, 2, 3]) await old.exec(`DROP TABLE notification_messages_p${day(d)}`);
    const aged = path.join(tmp, 'aged.tar');
    fs.writeFileSync(aged, Buffer.from(await (await old.dumpDataDir('none')).arrayBuffer()));
    fs.copyFileSync(full.replace(/\.tar$/, '.json'), aged.replace(/\.tar$/, '.json'));
    await old.close();
    const db = await openPGlite(path.join(tmp, 'aged-dir'), { snapshot: aged });
    const parts = (await db.query<{ t: string }>(`SELECT c.relname AS t FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'notification_messages'::regclass`)).rows.map((r) => r.t);
    for (const d of [0, 1, 2, 3]) expect(parts).toContain(`notification_messages_p${day(d)}`);
    await db.close();
  }, 180_000);

  it('unpacks it into a fresh directory, with this start\'s timestamps; later migrations apply on top; a reopen keeps the data', async () => {
    const dataDir = path.join(tmp, 'a');
    const db = await openPGlite(dataDir, { snapshot });
    const versions = (await db.query<{ version: string; applied_at: Date }>(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)).rows;
    expect(versions.map((v) => v.version)).toEqual(first.map((m) => m.version));
    // Seed rows carry the time of this start, not the build's.
    const org = (await db.query<{ created_at: Date }>(`SELECT created_at FROM organizations`)).rows;
    expect(org.length).toBeGreaterThan(0);
    for (const r of [...org, ...versions.map((v) => ({ created_at: v.applied_at }))]) expect(r.created_at.getTime()).toBeGreaterThanOrEqual(started.getTime());
    expect(await migrate(db)).toEqual(all.slice(3).map((m) => m.version));
    await db.query(`INSERT INTO users (email, username, name, hashed_password) VALUES ('snap@example.com', 'snap', '', '\\x')`);
    await db.close();
    // Not fresh any more: opened as it is (the snapshot is not loaded over it).
    const again = await openPGlite(dataDir, { snapshot });
    expect((await again.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE username = 'snap'`)).rows[0].n).toBe(1);
    expect(await migrate(again)).toEqual([]);
    // The embedded engine's memory setting (see PGLITE_SETTINGS).
    expect((await again.query<{ shared_buffers: string }>(`SHOW shared_buffers`)).rows[0].shared_buffers).toBe('32MB');
    await again.close();
  }, 120_000);

  it('leaves out the template databases and the free-space and visibility maps; the database works without them', async () => {
    const tar = fs.readFileSync(snapshot);
    const names: string[] = [];
    for (let at = 0; at + 512 <= tar.length; ) {
      const h = tar.subarray(at, at + 512);
      if (h.every((b) => b === 0)) break;
      names.push(h.toString('latin1', 0, 100).replace(/\0.*$/s, '').replace(/^\/+/, ''));
      at += 512 + Math.ceil(parseInt(h.toString('latin1', 124, 136).replace(/\0.*$/s, '').trim() || '0', 8) / 512) * 512;
    }
    const db = await openPGlite(path.join(tmp, 'slim'), { snapshot });
    const dbs = (await db.query<{ oid: number; template: boolean }>(`SELECT oid::int AS oid, datistemplate AS template FROM pg_database`)).rows;
    const templates = dbs.filter((d) => d.template).map((d) => d.oid);
    expect(templates.length).toBeGreaterThan(0);
    expect(names.filter((n) => templates.some((oid) => n.startsWith(`base/${oid}/`)))).toEqual([]);
    expect(names.filter((n) => /_(fsm|vm)$/.test(n))).toEqual([]);
    expect(names.some((n) => /^base\/\d+\/\d+$/.test(n))).toBe(true);
    // Maps are hints: writes, VACUUM (which builds them again) and reads work as on a full copy.
    await db.query(`INSERT INTO users (email, username, name, hashed_password) SELECT 'slim' || i || '@example.com', 'slim' || i, '', '\\x' FROM generate_series(1, 200) AS i`);
    await db.exec('VACUUM ANALYZE users');
    expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE username LIKE 'slim%'`)).rows[0].n).toBe(200);
    await db.close();
  }, 120_000);

  it('is not used when its migrations differ from this build\'s (the engine runs initdb and the server migrates)', async () => {
    const manifest = snapshot.replace(/\.tar$/, '.json');
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    m.migrations[1].sha256 = '0'.repeat(64);
    const stale = path.join(tmp, 'stale.tar');
    fs.copyFileSync(snapshot, stale);
    fs.writeFileSync(stale.replace(/\.tar$/, '.json'), JSON.stringify(m));
    const db = await openPGlite(path.join(tmp, 'b'), { snapshot: stale });
    expect((await db.query<{ t: string | null }>(`SELECT to_regclass('schema_migrations')::text AS t`)).rows[0].t).toBeNull();
    expect(await migrate(db)).toEqual(all.map((x) => x.version));
    await db.close();
  }, 120_000);
});

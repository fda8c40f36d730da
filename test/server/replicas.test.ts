import pg from 'pg';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { loadMigrations } from '../../src/db/migrate.js';
import { pgAvailable } from '../support/db.js';
import { withDatabase, PG_PREFIX } from '../support/global-setup.js';
import { spawnServer } from '../support/process.js';

describe.skipIf(!pgAvailable())('several replicas on one PostgreSQL [postgres]', () => {
  it('three servers started together on an empty database all come up; migrations ran once', async () => {
    const admin = new pg.Client({ connectionString: inject('pgUrl') });
    await admin.connect();
    const name = `${PG_PREFIX}${Math.floor(Date.now() / 1000)}_replicas_${Math.random().toString(36).slice(2, 8)}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = withDatabase(inject('pgUrl'), name);
    try {
      const servers = await Promise.all([0, 1, 2].map(() => spawnServer(['--pg-connection-url', url, '--access-url', 'http://test.com'])));
      try {
        for (const s of servers) expect((await fetch(s.url + '/healthz')).status).toBe(200);
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        const r = await c.query('SELECT version FROM schema_migrations ORDER BY version');
        const t = await c.query('SELECT count(*)::int AS n FROM notification_templates');
        await c.end();
        expect(r.rows.map((x) => x.version)).toEqual(loadMigrations().map((m) => m.version));
        expect(t.rows[0].n).toBeGreaterThanOrEqual(28);
      } finally {
        const codes = await Promise.all(servers.map((s) => s.stop()));
        expect(codes).toEqual([0, 0, 0]);
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe('the embedded database', () => {
  it('persists in --data-dir, answers /healthz, and refuses a second server on the same directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-data-'));
    const first = await spawnServer(['--data-dir', dir]);
    try {
      expect((await fetch(first.url + '/healthz')).status).toBe(200);
      const r = await fetch(first.url + '/api/v2/users/first', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'a@example.com', username: 'a', password: 'Sup3r-Secret-Passw0rd!' }),
      });
      expect(r.status).toBe(201);
      await expect(spawnServer(['--data-dir', dir])).rejects.toThrow(/in use by process/);
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const again = await spawnServer(['--data-dir', dir]);
    try {
      expect((await fetch(again.url + '/api/v2/users/first')).status).toBe(200);
    } finally {
      await again.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

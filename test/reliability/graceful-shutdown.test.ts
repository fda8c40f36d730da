// Graceful shutdown under load: SIGTERM a server in the middle of dispatch. A lease is an advisory
// lock that ends with the process, so what must hold when it has exited is that every in-flight
// delivery finished and its result was written: every webhook the receiver got and every inbox row
// written is recorded as sent. A second server then finishes the queue: nothing is lost.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/database.js';
import { pgAvailable } from '../support/db.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { spawnServer } from '../support/process.js';
import { OWNER } from '../support/server.js';
import { enqueueMany } from './enqueue.js';
import { FINAL_STATUSES, figures, pgDatabase, scale, setPaused, waitUntil, webhookReplicaArgs, type PgTestDatabase } from './helpers.js';

const MESSAGES = scale(200, 3000);
const CYCLES = scale(1, 5);

describe.skipIf(!pgAvailable())('graceful shutdown: SIGTERM mid-dispatch writes every in-flight result [postgres only: runs real server processes]', () => {
  let pgdb: PgTestDatabase;
  let db: Database;
  let sink: HttpSink;

  const args = () =>
    webhookReplicaArgs(pgdb.url, `${sink.url}/hook`, {
      'dispatch-timeout': '5s',
      'fetch-interval': '500ms',
      'lease-count': '20',
    });

  beforeAll(async () => {
    pgdb = await pgDatabase('sigterm');
    db = openPostgres({ url: pgdb.url });
    sink = await startHttpSink({ respond: { status: 200, delayMs: 150 } });
  });
  afterAll(async () => {
    await db?.close();
    await sink?.close();
    await pgdb?.drop();
  });

  it(`SIGTERM during delivery of ${MESSAGES} webhook + inbox messages (${CYCLES} cycle(s)): every delivered message recorded as sent at exit, 0 lost`, { timeout: scale(40_000, 600_000) }, async () => {
    let server = await spawnServer(args());
    const first = await fetch(`${server.url}/api/v2/users/first`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
    expect(first.status).toBe(201);
    const userId = ((await first.json()) as { user_id: string }).user_id;
    await setPaused(db, true);
    const ids = await enqueueMany(db, { userId, count: MESSAGES, run: 'sigterm', webhookEndpoint: `${sink.url}/hook` });
    await setPaused(db, false);

    let inflightAtStop = 0;
    for (let c = 0; c < CYCLES; c++) {
      await sink.waitFor(Math.floor((MESSAGES * (c + 1)) / (CYCLES + 2)), 30_000);
      const open = sink.openConnections;
      const code = await server.stop('SIGTERM');
      expect(code, server.output()).toBe(0);
      inflightAtStop += open;
      // The process is gone: every inbox row it wrote has its result written too.
      const inboxUnsent = await pgdb.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM notification_messages nm JOIN inbox_notifications i ON i.id = nm.id WHERE nm.status <> 'sent'`,
      );
      expect(inboxUnsent[0].n).toBe(0);
      // Everything the receiver got is recorded as sent (a result lost on shutdown would be
      // delivered again by the next replica).
      const got = [...new Set(sink.requests.map((r) => String(r.headers['x-message-id'])))];
      const notSent = await pgdb.query<{ id: string; status: string }>(
        `SELECT id, status::text AS status FROM notification_messages WHERE id = ANY($1::uuid[]) AND status <> 'sent'`,
        [got],
      );
      expect(notSent).toEqual([]);
      server = await spawnServer(args());
    }

    await waitUntil(
      async () => (await pgdb.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE status::text <> ALL($1::text[])`, [FINAL_STATUSES]))[0].n === 0,
      scale(30_000, 300_000),
      'the second server to finish the queue',
      200,
    );
    expect(await server.stop('SIGTERM')).toBe(0);
    const statuses = await pgdb.query<{ status: string; n: number }>(`SELECT status::text AS status, count(*)::int AS n FROM notification_messages GROUP BY 1`);
    const perId = new Map<string, number>();
    for (const r of sink.requests) perId.set(String(r.headers['x-message-id']), (perId.get(String(r.headers['x-message-id'])) ?? 0) + 1);
    const inbox = await pgdb.query<{ n: number; d: number }>(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM inbox_notifications`);
    const duplicates = [...perId.values()].filter((n) => n > 1).length;
    figures('graceful-shutdown', {
      messages: ids.length,
      sigterms: CYCLES,
      open_connections_at_sigterm: inflightAtStop,
      by_status: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
      unrecorded_after_exit: 0,
      lost: MESSAGES - perId.size + (MESSAGES - inbox[0].d),
      webhook_duplicates: duplicates,
      inbox_duplicates: inbox[0].n - inbox[0].d,
    });
    expect(statuses).toEqual([{ status: 'sent', n: MESSAGES * 2 }]);
    // The SIGTERMs did land mid-dispatch (deliveries were open at the receiver).
    expect(inflightAtStop).toBeGreaterThan(0);
    expect(perId.size).toBe(MESSAGES);
    // Graceful means no redelivery at all: results were flushed before exit.
    expect(duplicates).toBe(0);
    expect(inbox[0]).toEqual({ n: MESSAGES, d: MESSAGES });
  });
});

// Database outage under load: every connection of the servers is terminated again and again
// (pg_terminate_backend), then the database refuses connections for a while. The servers report
// the outage on /healthz, recover on their own, and every message still ends delivered: none
// lost, inbox rows exactly once.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/database.js';
import { pgAvailable } from '../support/db.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { spawnServer, type ServerProcess } from '../support/process.js';
import { OWNER } from '../support/server.js';
import { enqueueMany } from './enqueue.js';
import { FINAL_STATUSES, figures, pgDatabase, scale, setPaused, sleep, waitUntil, webhookReplicaArgs, type PgTestDatabase } from './helpers.js';

const MESSAGES = scale(300, 5000);
const TERMINATE_ROUNDS = scale(8, 60);
const OUTAGES = scale(1, 4);

const health = async (url: string): Promise<number> => {
  try {
    return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 0;
  }
};

describe.skipIf(!pgAvailable())('database outage under load: servers recover and nothing is lost [postgres only: terminates server backends]', () => {
  let pgdb: PgTestDatabase;
  let db: Database | undefined;
  let sink: HttpSink;
  let servers: ServerProcess[] = [];

  const args = () =>
    webhookReplicaArgs(pgdb.url, `${sink.url}/hook`, {
      'dispatch-timeout': '2s',
      'fetch-interval': '500ms',
      'retry-interval': '500ms',
      'max-send-attempts': '50',
      'store-sync-interval': '200ms',
      'lease-count': '10',
    });

  beforeAll(async () => {
    pgdb = await pgDatabase('outage');
    sink = await startHttpSink({ respond: { status: 200, delayMs: 30 } });
    servers = await Promise.all([0, 1].map(() => spawnServer(args())));
  });
  afterAll(async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await db?.close();
    await sink?.close();
    await pgdb?.allowConnections(true).catch(() => undefined);
    await pgdb?.drop();
  });

  it(`${MESSAGES} webhook + inbox messages survive ${TERMINATE_ROUNDS} pg_terminate_backend rounds and ${OUTAGES} refused-connection outage(s)`, { timeout: scale(60_000, 900_000) }, async () => {
    const first = await fetch(`${servers[0].url}/api/v2/users/first`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
    expect(first.status).toBe(201);
    const userId = ((await first.json()) as { user_id: string }).user_id;
    db = openPostgres({ url: pgdb.url });
    await setPaused(db, true);
    const ids = await enqueueMany(db, { userId, count: MESSAGES, run: 'outage', webhookEndpoint: `${sink.url}/hook` });
    await db.close();
    db = undefined;
    await setPaused(pgdb, false);

    let terminated = 0;
    let healthzDown = 0;
    let outageMs = 0;
    // Phase 1: connections dropped under the servers' feet, over and over.
    await sink.waitFor(Math.floor(MESSAGES / 6), 30_000);
    for (let i = 0; i < TERMINATE_ROUNDS; i++) {
      terminated += await pgdb.terminateAll();
      await sleep(250);
    }
    // Phase 2: the database is unreachable for a while; /healthz says so, then recovers.
    for (let o = 0; o < OUTAGES; o++) {
      const t0 = Date.now();
      await pgdb.allowConnections(false);
      terminated += await pgdb.terminateAll();
      for (const s of servers) {
        const seen: number[] = [];
        await waitUntil(async () => { seen.push(await health(s.url)); return seen.at(-1) === 503; }, 10_000, `/healthz of ${s.url} to report the outage`).catch((err) => {
          throw new Error(`${(err as Error).message}: saw ${seen.join(',')}\n${s.output().slice(-3000)}`);
        });
        healthzDown++;
      }
      await sleep(scale(1500, 5000));
      await pgdb.allowConnections(true);
      outageMs += Date.now() - t0;
      for (const s of servers) await waitUntil(async () => (await health(s.url)) === 200, 15_000, `/healthz of ${s.url} to recover`);
      if (o < OUTAGES - 1) await sleep(2000);
    }

    await waitUntil(
      async () => (await pgdb.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE status::text <> ALL($1::text[])`, [FINAL_STATUSES]))[0].n === 0,
      scale(40_000, 600_000),
      'every message to reach a final state after the outage',
      250,
    );
    for (const s of servers) expect(s.child.exitCode, s.output()).toBeNull(); // still running

    const messages = await pgdb.query<{ id: string; method: string; status: string; status_reason: string | null }>(
      `SELECT id, method::text AS method, status::text AS status, status_reason FROM notification_messages`,
    );
    const byStatus: Record<string, number> = {};
    for (const m of messages) byStatus[`${m.method}:${m.status}`] = (byStatus[`${m.method}:${m.status}`] ?? 0) + 1;
    const seen = new Map<string, number>();
    for (const r of sink.requests) seen.set(String(r.headers['x-message-id']), (seen.get(String(r.headers['x-message-id'])) ?? 0) + 1);
    const lostWebhook = messages.filter((m) => m.method === 'webhook' && !seen.has(m.id));
    const rows = await pgdb.query<{ id: string; n: number }>(`SELECT id, count(*)::int AS n FROM inbox_notifications GROUP BY id`);
    const inboxRows = new Map(rows.map((r) => [r.id, r.n]));
    const lostInbox = messages.filter((m) => m.method === 'inbox' && !inboxRows.has(m.id));
    const failed = messages.filter((m) => m.status !== 'sent');

    figures('db-outage', {
      messages: ids.length,
      backends_terminated: terminated,
      terminate_rounds: TERMINATE_ROUNDS,
      outages: OUTAGES,
      outage_ms: outageMs,
      healthz_503_observed: healthzDown,
      by_status: byStatus,
      webhook_redelivered_ids: [...seen.values()].filter((n) => n > 1).length,
      lost: lostWebhook.length + lostInbox.length,
      inbox_duplicates: rows.filter((r) => r.n > 1).length,
      failed_reasons: [...new Set(failed.map((f) => f.status_reason))].slice(0, 5),
    });
    expect(terminated).toBeGreaterThan(0);
    expect(failed).toEqual([]);
    expect(lostWebhook).toEqual([]);
    expect(lostInbox).toEqual([]);
    expect(rows.filter((r) => r.n > 1)).toEqual([]);
  });
});

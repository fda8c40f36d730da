// Burst grouping across real replica processes (issue 19): three `herald server` processes on one
// PostgreSQL database, a storm of 100 failed manual builds across 10 workspaces requested through
// all three (each replica's built-in provisioner fails the builds it picks up and enqueues the
// notifications itself), one replica killed with SIGKILL in the middle of the window. The two left
// release the group: each template admin gets the first failure at once and one grouped message
// per channel, naming every other failure; no event is missing from the history, no group is
// released twice. Real time (processes cannot share an injected clock): the window is 30 s.
// PostgreSQL only: PGlite is one process (its in-process variant is replicas.test.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgAvailable } from '../support/db.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { spawnServer, type ServerProcess } from '../support/process.js';
import { ApiHelper, createUser, setupOwner } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { pgDatabase, webhookReplicaArgs, type PgTestDatabase } from '../reliability/helpers.js';
import { createTemplate, PLAIN_DEFINITION, waitForBuild } from '../platform/helpers.js';
import { TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED } from '../../src/notifications/templates/catalogue.js';

const WORKSPACES = 10;
const BUILDS = 10; // per workspace: 100 failures
const EVENTS = WORKSPACES * BUILDS;
const WINDOW_S = 30;

describe.skipIf(!pgAvailable())('burst grouping with 3 replica processes, one SIGKILLed mid-window [postgres only: several processes on one database]', () => {
  let pgdb: PgTestDatabase;
  let sink: HttpSink;
  const replicas: ServerProcess[] = [];

  beforeAll(async () => {
    pgdb = await pgDatabase('noise');
    sink = await startHttpSink();
    const args = webhookReplicaArgs(pgdb.url, `${sink.url}/hook`, { 'fetch-interval': '1s', 'store-sync-interval': '100ms' });
    replicas.push(...(await Promise.all([0, 1, 2].map(() => spawnServer([...args, '--api-rate-limit', '0'])))));
  });
  afterAll(async () => {
    await Promise.allSettled(replicas.map((r) => r.stop()));
    await sink?.close();
    await pgdb?.drop();
  });

  it(`${EVENTS} failed builds on 3 processes, one killed mid-window: ≤ 2 messages per admin and channel, all named, none missing, one group`, { timeout: 180_000 }, async () => {
    const { api: owner } = await setupOwner(new ApiHelper(replicas[0].url));
    const admins = await Promise.all([0, 1, 2].map(() => createUser(owner, ['template-admin'])));
    const put = await owner.put(`/notifications/templates/${TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED}/grouping`, { window: `${WINDOW_S}s` });
    expect(put.status).toBe(200);
    const { templateId } = await createTemplate(owner, 'flaky', { name: 'broken', definition: { ...PLAIN_DEFINITION, error: 'apply failed', fail_on: ['start'] } });
    const via = (i: number, alive: ServerProcess[]) => new ApiHelper(alive[i % alive.length].url, owner.token);
    const hooksFor = (uid: string) =>
      sink.requests.filter((r) => (r.json as any)?.payload?.user_id === uid && (r.json as any).payload.notification_template_id === TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED);

    const started = Date.now();
    // Build 1 of each workspace: its creation, through the three replicas.
    const workspaces: string[] = await Promise.all(
      Array.from({ length: WORKSPACES }, async (_, i) => {
        const api = via(i, replicas);
        const r = await api.post('/users/me/workspaces', { name: `ws-${i}`, template_id: templateId });
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        expect((await waitForBuild(api, r.body.id, undefined, 30_000)).latest_build.status).toBe('failed');
        return r.body.id as string;
      }),
    );
    // The first failure reached every admin at once, while the window is open.
    await waitFor(() => admins.every((a) => hooksFor(a.id).length === 1), 15_000);
    const rebuild = async (alive: ServerProcess[]) =>
      Promise.all(
        workspaces.map(async (id, i) => {
          const api = via(i, alive);
          const r = await api.post(`/workspaces/${id}/builds`, { transition: 'start' });
          expect(r.status, JSON.stringify(r.body)).toBe(201);
          expect((await waitForBuild(api, id, undefined, 30_000)).latest_build.status).toBe('failed');
        }),
      );
    for (let b = 2; b <= BUILDS / 2; b++) await rebuild(replicas);

    // SIGKILL a replica between builds (none of its provisioner's jobs is left running), the group open.
    const victim = replicas.splice(0, 1)[0];
    victim.child.kill('SIGKILL');
    expect(await victim.stop()).toBeNull();
    for (let b = BUILDS / 2 + 1; b <= BUILDS; b++) await rebuild(replicas);
    const stormSeconds = (Date.now() - started) / 1000;
    expect(stormSeconds, 'the storm fits in one window (else the machine is too slow for this test)').toBeLessThan(WINDOW_S - 2);
    for (const a of admins) expect(hooksFor(a.id)).toHaveLength(1); // nothing else before the window ends

    // The window ends: the survivors release one grouped message per admin and channel.
    await waitFor(() => admins.every((a) => hooksFor(a.id).length >= 2), (WINDOW_S + 30) * 1000);
    const groups = await pgdb.query<{ id: string; user_id: string; method: string; status: string; held_count: number; message_id: string }>(
      `SELECT id, user_id, method::text AS method, status, held_count, message_id FROM notification_groups WHERE template_id = $1 ORDER BY user_id, method`,
      [TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED],
    );
    await waitFor(async () => (await pgdb.query(`SELECT 1 FROM notification_messages WHERE status IN ('pending', 'leased', 'held')`)).length === 0, 30_000);

    const failed = await pgdb.query<{ name: string; n: string }>(
      `SELECT w.name, wb.build_number::text AS n FROM workspace_builds wb JOIN workspaces w ON w.id = wb.workspace_id
       JOIN provisioner_jobs j ON j.id = wb.job_id WHERE j.status = 'failed' ORDER BY 1, 2`,
    );
    expect(failed).toHaveLength(EVENTS);
    const failures = new Set(failed.map((f) => `${f.name} #${f.n}`));
    for (const a of admins) {
      for (const method of ['inbox', 'webhook']) {
        // One group per admin and channel (never two), released once, carrying all but the first.
        const mine = groups.filter((g) => g.user_id === a.id && g.method === method);
        expect(mine, `${method} groups of an admin`).toHaveLength(1);
        expect(mine[0]).toMatchObject({ status: 'released', held_count: EVENTS - 1 });
        // The history: every failure, as the first message or a member of the group's message.
        const history = await pgdb.query<{ name: string; status: string; group_id: string; status_reason: string | null }>(
          `SELECT payload->'labels'->>'name' || ' #' || (payload->'labels'->>'workspace_build_number') AS name, status::text AS status, group_id, status_reason
           FROM notification_messages WHERE user_id = $1 AND method = $2 AND notification_template_id = $3 AND carries IS NULL`,
          [a.id, method, TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED],
        );
        expect(new Set(history.map((h) => h.name))).toEqual(failures);
        expect(history).toHaveLength(EVENTS);
        expect(history.filter((h) => h.status === 'sent')).toHaveLength(1);
        const grouped = history.filter((h) => h.status === 'grouped');
        expect(grouped).toHaveLength(EVENTS - 1);
        for (const h of grouped) expect(h.status_reason).toBe(`delivered in message ${mine[0].message_id} (burst)`);
        const carriers = await pgdb.query(`SELECT id, status::text AS status FROM notification_messages WHERE carries = $1`, [mine[0].id]);
        expect(carriers).toEqual([{ id: mine[0].message_id, status: 'sent' }]);
      }
      // What the admin received by webhook: the first failure, then one message naming the other 99.
      const hooks = hooksFor(a.id);
      expect(hooks).toHaveLength(2);
      const first = hooks[0].json as any;
      const firstName = `${first.payload.labels.name} #${first.payload.labels.workspace_build_number}`;
      expect(first.payload.labels.workspace_build_number).toBe('1');
      const grouped = hooks[1].json as any;
      const names: string[] = grouped.payload.data.group.events.map((e: any) => e.name);
      expect(new Set(names)).toEqual(new Set([...failures].filter((n) => n !== firstName)));
      expect(names).toHaveLength(EVENTS - 1);
      expect(grouped.body).toBe(`${EVENTS - 1} more builds failed: ${names.slice(0, 25).join(', ')} and ${EVENTS - 1 - 25} more.`);
    }
  });
});

import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { createLogger } from '../../src/lib/logger.js';
import { PREBUILD_FAILURE_LIMIT_REACHED } from '../../src/notifications/templates/catalogue.js';
import { createTemplate, messages, PLAIN_DEFINITION, pushVersion } from './helpers.js';
import { FAILING, metric, pass, PREBUILDS_CONFIG, prebuildsOf, presetsOf, promote, reconcilerOf, settle } from './prebuild-helpers.js';

function logCapture() {
  const lines: any[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

const LIMIT_MSG = /prebuild failure hard limit/;

describeEachEngine('prebuilt workspaces: failure hard limit', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let admins: { api: ApiHelper; id: string }[];
  let logs: ReturnType<typeof logCapture>;
  let key: string;

  beforeAll(async () => {
    logs = logCapture();
    server = await startTestServer(engine, { config: PREBUILDS_CONFIG, log: logs.log });
    owner = (await setupOwner(server.api)).api;
    admins = [await createUser(owner, ['template-admin']), await createUser(owner, ['template-admin'])];
    await createUser(owner); // a member: never told
    key = (await owner.post('/organizations/coder/provisionerkeys', { name: 'runner' })).body.key;
  });
  afterAll(async () => server?.stop());

  const limitMessages = async (template: string) =>
    (await messages(server.db, PREBUILD_FAILURE_LIMIT_REACHED)).filter((m) => m.payload.labels.template === template);

  it('stops a preset after exactly N consecutive failures, tells template admins once, and a new version heals it', async () => {
    const { templateId, versionId: v1 } = await createTemplate(admins[0].api, 'pb-limit', { name: 'broken', ...FAILING, presets: [{ name: 'p', desired_instances: 1 }] });
    const presetId = (await presetsOf(owner, v1))[0].ID;
    // Failures 1 and 2 (N-1) do not stop it: the third pass still creates.
    for (let i = 1; i <= 3; i++) {
      const r = await pass(server);
      expect(r.hardLimited).not.toContain(presetId);
      expect((await prebuildsOf(owner, 'pb-limit')).map((p) => p.status)).toEqual(Array(i).fill('failed'));
      expect((await presetsOf(owner, v1))[0].prebuild_status).toBe('healthy');
    }
    // Now the newest 3 all failed: limited, nothing created, admins told.
    const warnsBefore = logs.lines.filter((l) => LIMIT_MSG.test(l.msg)).length;
    const r = await pass(server);
    expect(r.hardLimited).toEqual([presetId]);
    expect(await prebuildsOf(owner, 'pb-limit')).toHaveLength(3);
    expect((await presetsOf(owner, v1))[0].prebuild_status).toBe('hard_limited');
    expect(await metric(server, 'coderd_prebuilt_workspaces_preset_hard_limited', { template_name: 'pb-limit', preset_name: 'p' })).toBe(1);
    expect(await metric(server, 'coderd_prebuilt_workspaces_failed_total', { template_name: 'pb-limit', preset_name: 'p' })).toBe(3);
    let sent = await limitMessages('pb-limit');
    expect(sent.map((m) => m.user_id).sort()).toEqual(admins.map((a) => a.id).sort());
    expect(sent[0].created_by).toBe('prebuilds_reconciler');
    expect(sent[0].payload.labels).toEqual({ org: 'coder', template: 'pb-limit', template_version: 'broken', preset: 'p' });
    expect([...(sent[0].targets ?? [])].sort()).toEqual([templateId, v1, presetId, (await owner.get(`/templates/${templateId}`)).body.organization_id].sort());

    // More passes, on this replica and another: no more creates, no second notification, a warning each time.
    const b = await startTestServer(engine, { database: server.database, config: PREBUILDS_CONFIG });
    try {
      for (let i = 0; i < 3; i++) {
        await pass(server);
        await reconcilerOf(b).runOnce();
      }
    } finally {
      await b.stop();
    }
    expect(await prebuildsOf(owner, 'pb-limit')).toHaveLength(3);
    sent = await limitMessages('pb-limit');
    expect(sent).toHaveLength(2);
    const warns = logs.lines.filter((l) => LIMIT_MSG.test(l.msg)).slice(warnsBefore);
    expect(warns.length).toBeGreaterThanOrEqual(4);
    expect(warns[0]).toMatchObject({ level: 40, template: 'pb-limit', preset: 'p', failure_hard_limit: 3 });

    // A fixed version: its preset starts healthy and gets its prebuild; the broken version's are deleted.
    const v2 = await pushVersion(admins[0].api, templateId, { name: 'fixed', definition: PLAIN_DEFINITION, presets: [{ name: 'p', desired_instances: 1 }] });
    await promote(admins[0].api, templateId, v2);
    expect((await presetsOf(owner, v2))[0].prebuild_status).toBe('healthy');
    await pass(server);
    expect((await prebuildsOf(owner, 'pb-limit')).map((p) => [p.status, p.versionId])).toEqual([['running', v2]]);
    expect(await metric(server, 'coderd_prebuilt_workspaces_preset_hard_limited', { template_name: 'pb-limit', preset_name: 'p' })).toBeUndefined();
    expect((await presetsOf(owner, v1))[0].prebuild_status).toBe('hard_limited'); // history stays
    expect(await limitMessages('pb-limit')).toHaveLength(2);
    await admins[0].api.patch(`/templates/${templateId}`, { deprecation_message: 'done' });
    await pass(server);
  });

  it('a success among the last N resets the count; deletes still run while limited', async () => {
    // An external provisioner lets the test decide which builds fail.
    const { templateId, versionId } = await createTemplate(admins[0].api, 'pb-mixed', { definition: { provisioner: 'external' }, presets: [{ name: 'p', desired_instances: 2 }] });
    const presetId = (await presetsOf(owner, versionId))[0].ID;
    const runner = (path: string, body: unknown = {}) => server.api.call('POST', path, body, { 'Coder-Provisioner-Key': key });
    /** Acquires every queued external job and finishes each as `outcome(workspace_id)` says. */
    const finish = async (outcome: (workspaceId: string) => 'ok' | 'fail') => {
      for (;;) {
        const a = await runner('/provisionerdaemons/jobs/acquire');
        if (a.status === 204) return;
        expect(a.status).toBe(200);
        const res = outcome(a.body.workspace_build.workspace_id) === 'ok'
          ? await runner(`/provisionerdaemons/jobs/${a.body.job_id}/complete`, { resources: [] })
          : await runner(`/provisionerdaemons/jobs/${a.body.job_id}/fail`, { error: 'apply failed' });
        expect(res.status).toBe(204);
      }
    };
    const created = async () => (await prebuildsOf(owner, 'pb-mixed')).map((p) => p.id);

    let r = await reconcilerOf(server).runOnce();
    const [w1, w2] = await created();
    await finish((id) => (id === w1 ? 'fail' : 'ok')); // F, S
    for (let i = 0; i < 2; i++) {
      r = await reconcilerOf(server).runOnce(); // one missing each time
      await finish(() => 'fail');
    }
    // Latest starts: F F S (and an older F): three failures in all, but not three in a row.
    const statuses = (await prebuildsOf(owner, 'pb-mixed')).map((p) => p.status);
    expect(statuses.filter((s) => s === 'failed')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'running')).toHaveLength(1);
    r = await reconcilerOf(server).runOnce();
    expect(r.hardLimited).not.toContain(presetId);
    expect((await created()).length).toBe(5);
    expect((await presetsOf(owner, versionId))[0].prebuild_status).toBe('healthy');
    await finish(() => 'fail');
    // Now the newest three failed.
    r = await reconcilerOf(server).runOnce();
    expect(r.hardLimited).toEqual([presetId]);
    expect((await created()).length).toBe(5);
    expect((await presetsOf(owner, versionId))[0].prebuild_status).toBe('hard_limited');
    expect(await limitMessages('pb-mixed')).toHaveLength(2);

    // Surplus is still deleted while limited.
    await server.db.query(`UPDATE template_version_presets SET desired_instances = 0 WHERE id = $1`, [presetId]);
    r = await reconcilerOf(server).runOnce();
    expect(r.hardLimited).toEqual([presetId]);
    await finish(() => 'ok');
    expect((await prebuildsOf(owner, 'pb-mixed')).map((p) => p.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect((await owner.get(`/workspaces/${w2}?include_deleted=true`)).body.deleted).toBe(true);
    await admins[0].api.patch(`/templates/${templateId}`, { deprecation_message: 'done' });
    await reconcilerOf(server).runOnce();
    await finish(() => 'ok');
  });

  it('a hard limit of 0 disables it', async () => {
    server.config.prebuilds.failureHardLimit = 0;
    const { templateId, versionId } = await createTemplate(admins[0].api, 'pb-nolimit', { ...FAILING, presets: [{ name: 'p', desired_instances: 1 }] });
    try {
      for (let i = 1; i <= 5; i++) {
        const r = await pass(server);
        expect(r.hardLimited).toEqual([]);
      }
      expect((await prebuildsOf(owner, 'pb-nolimit')).map((p) => p.status)).toEqual(Array(5).fill('failed'));
      expect((await presetsOf(owner, versionId))[0].prebuild_status).toBe('healthy');
      expect(await limitMessages('pb-nolimit')).toEqual([]);
    } finally {
      server.config.prebuilds.failureHardLimit = 3;
      await admins[0].api.patch(`/templates/${templateId}`, { deprecation_message: 'done' });
      await pass(server);
      await settle(server);
    }
  });
});

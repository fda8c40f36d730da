import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { PREBUILDS_RECONCILER_LOCK } from '../../src/platform/prebuilds/reconciler.js';
import { createTemplate, PLAIN_DEFINITION, pushVersion, waitForBuild } from './helpers.js';
import { FAILING, metric, pass, PREBUILDS_CONFIG, prebuildsOf, promote, reconcilerOf, settle } from './prebuild-helpers.js';

describeEachEngine('prebuilt workspaces: reconciler and claims', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let admin: { api: ApiHelper; id: string };
  let member: { api: ApiHelper; id: string; username: string };

  beforeAll(async () => {
    server = await startTestServer(engine, { config: PREBUILDS_CONFIG });
    owner = (await setupOwner(server.api)).api;
    admin = await createUser(owner, ['template-admin']);
    member = await createUser(owner);
  });
  afterAll(async () => server?.stop());

  it('converges on desired instances: up, down, and to the new active version', async () => {
    const { templateId, versionId: v1 } = await createTemplate(admin.api, 'pb-conv', {
      name: 'v1',
      definition: PLAIN_DEFINITION,
      presets: [{ name: 'small', desired_instances: 2 }, { name: 'manual' }],
    });
    const small1 = (await admin.api.get(`/templateversions/${v1}/presets`)).body.find((p: any) => p.Name === 'small').ID;

    await pass(server);
    let pbs = await prebuildsOf(owner, 'pb-conv');
    expect(pbs.map((p) => [p.status, p.versionId, p.presetId])).toEqual([
      ['running', v1, small1],
      ['running', v1, small1],
    ]);
    expect(pbs.every((p) => /^prebuild-[0-9a-f]+$/.test(p.name))).toBe(true);
    // A second pass has nothing to do: starting or running prebuilds count.
    await pass(server);
    expect(await prebuildsOf(owner, 'pb-conv')).toHaveLength(2);
    const labels = { template_name: 'pb-conv', preset_name: 'small', organization_name: 'coder' };
    expect(await metric(server, 'coderd_prebuilt_workspaces_desired', labels)).toBe(2);
    expect(await metric(server, 'coderd_prebuilt_workspaces_running', labels)).toBe(2);
    expect(await metric(server, 'coderd_prebuilt_workspaces_eligible', labels)).toBe(2);
    expect(await metric(server, 'coderd_prebuilt_workspaces_created_total', labels)).toBe(2);
    expect(await metric(server, 'coderd_prebuilt_workspaces_preset_hard_limited', labels)).toBeUndefined();
    // The preset without desired instances gets none.
    expect(await metric(server, 'coderd_prebuilt_workspaces_desired', { ...labels, preset_name: 'manual' })).toBeUndefined();

    // Up.
    await server.db.query(`UPDATE template_version_presets SET desired_instances = 3 WHERE id = $1`, [small1]);
    await pass(server);
    const three = await prebuildsOf(owner, 'pb-conv');
    expect(three.map((p) => p.status)).toEqual(['running', 'running', 'running']);
    // Down: the oldest surplus ones are deleted.
    await server.db.query(`UPDATE template_version_presets SET desired_instances = 1 WHERE id = $1`, [small1]);
    await pass(server);
    pbs = await prebuildsOf(owner, 'pb-conv');
    expect(pbs.map((p) => p.id)).toEqual([three[2].id]);
    expect(await metric(server, 'coderd_prebuilt_workspaces_desired', labels)).toBe(1);

    // A new active version: its presets get prebuilds, the old version's are deleted.
    const v2 = await pushVersion(admin.api, templateId, { name: 'v2', definition: PLAIN_DEFINITION, presets: [{ name: 'small', desired_instances: 2 }] });
    await pass(server);
    expect((await prebuildsOf(owner, 'pb-conv')).map((p) => p.versionId)).toEqual([v1]); // not active yet
    await promote(admin.api, templateId, v2);
    await pass(server);
    pbs = await prebuildsOf(owner, 'pb-conv');
    expect(pbs.map((p) => [p.status, p.versionId])).toEqual([
      ['running', v2],
      ['running', v2],
    ]);
    const old = await owner.get(`/workspaces/${three[2].id}?include_deleted=true`);
    expect(old.body).toMatchObject({ deleted: true, latest_build: { transition: 'delete', status: 'deleted' } });

    // A deprecated template keeps no prebuilds.
    expect((await admin.api.patch(`/templates/${templateId}`, { deprecation_message: 'gone' })).status).toBe(200);
    await pass(server);
    expect(await prebuildsOf(owner, 'pb-conv')).toEqual([]);
  });

  it('runs each pass on one replica only', async () => {
    const b = await startTestServer(engine, { database: server.database, config: PREBUILDS_CONFIG });
    try {
      const { templateId } = await createTemplate(admin.api, 'pb-leader', { definition: PLAIN_DEFINITION, presets: [{ name: 'p', desired_instances: 3 }] });
      // While another session holds the lock, a replica's pass does nothing.
      const blocked = await server.db.withAdvisoryLock(PREBUILDS_RECONCILER_LOCK, () => reconcilerOf(b).runOnce(), { try: true });
      expect(blocked).toMatchObject({ leader: false, created: 0 });
      expect(await prebuildsOf(owner, 'pb-leader')).toEqual([]);

      // Both replicas at once: exactly the desired number, whoever leads.
      const results = await Promise.all([reconcilerOf(server).runOnce(), reconcilerOf(b).runOnce(), reconcilerOf(b).runOnce()]);
      expect(results.some((r) => r.leader)).toBe(true);
      await settle(server);
      await settle(b);
      await Promise.all([reconcilerOf(server).runOnce(), reconcilerOf(b).runOnce()]);
      await settle(server);
      expect((await prebuildsOf(owner, 'pb-leader')).map((p) => p.status)).toEqual(['running', 'running', 'running']);
      expect((await admin.api.patch(`/templates/${templateId}`, { deprecation_message: 'done' })).status).toBe(200);
      await pass(server);
    } finally {
      await b.stop();
    }
  });

  it('a user creating a workspace with the preset claims a ready prebuild', async () => {
    const { templateId, versionId } = await createTemplate(admin.api, 'pb-claim', {
      definition: PLAIN_DEFINITION,
      parameters: [{ name: 'size', type: 'string', default_value: 's', mutable: true }],
      presets: [{ name: 'large', desired_instances: 1, parameters: [{ name: 'size', value: 'l' }] }],
    });
    const presetId = (await admin.api.get(`/templateversions/${versionId}/presets`)).body[0].ID;
    await pass(server);
    const [ready] = await prebuildsOf(owner, 'pb-claim');
    expect(ready.status).toBe('running');

    const r = await member.api.post('/users/me/workspaces', { name: 'mine', template_id: templateId, template_version_preset_id: presetId });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ id: ready.id, name: 'mine', owner_id: member.id, owner_name: member.username });
    expect(r.body.latest_build).toMatchObject({ build_number: 2, transition: 'start', template_version_preset_id: presetId });
    const w = await waitForBuild(member.api, ready.id);
    expect(w.latest_build.status).toBe('running');
    const stages = await server.db.query<{ build_number: number; prebuild_stage: string; initiator_id: string }>(
      `SELECT build_number, prebuild_stage, initiator_id FROM workspace_builds WHERE workspace_id = $1 ORDER BY build_number`,
      [ready.id],
    );
    expect(stages.rows.map((x) => [x.build_number, x.prebuild_stage])).toEqual([
      [1, 'create'],
      [2, 'claim'],
    ]);
    expect(stages.rows[1].initiator_id).toBe(member.id);
    const params = await server.db.query<{ value: string }>(
      `SELECT p.value FROM workspace_build_parameters p JOIN workspace_builds b ON b.id = p.workspace_build_id
       WHERE b.workspace_id = $1 AND b.build_number = 2 AND p.name = 'size'`,
      [ready.id],
    );
    expect(params.rows[0].value).toBe('l');
    // The member sees it as theirs; the prebuilds user has none left until the next pass.
    expect((await member.api.get('/workspaces?q=owner:me')).body.workspaces.map((x: any) => x.id)).toContain(ready.id);
    expect(await prebuildsOf(owner, 'pb-claim')).toEqual([]);
    expect(await metric(server, 'coderd_prebuilt_workspaces_claimed_total', { template_name: 'pb-claim', preset_name: 'large' })).toBe(1);

    // Nothing ready: an ordinary workspace is built from scratch.
    const fresh = await member.api.post('/users/me/workspaces', { name: 'second', template_id: templateId, template_version_preset_id: presetId });
    expect(fresh.status).toBe(201);
    expect(fresh.body.latest_build.build_number).toBe(1);
    // The next pass replenishes the pool.
    await pass(server);
    const again = await prebuildsOf(owner, 'pb-claim');
    expect(again).toHaveLength(1);
    expect(again[0].id).not.toBe(ready.id);
    // Without a preset nothing is claimed.
    const plain = await member.api.post('/users/me/workspaces', { name: 'third', template_id: templateId });
    expect(plain.body.latest_build.build_number).toBe(1);
    expect(await prebuildsOf(owner, 'pb-claim')).toHaveLength(1);
  });

  it('backs off after a failed prebuild', async () => {
    const { templateId } = await createTemplate(admin.api, 'pb-backoff', { ...FAILING, presets: [{ name: 'p', desired_instances: 1 }] });
    server.config.prebuilds.backoffInterval = 3_600_000;
    try {
      await pass(server);
      expect((await prebuildsOf(owner, 'pb-backoff')).map((p) => p.status)).toEqual(['failed']);
      expect(await metric(server, 'coderd_prebuilt_workspaces_failed_total', { template_name: 'pb-backoff' })).toBe(1);
      const r = await pass(server);
      expect(r.backedOff).toHaveLength(1);
      expect(await prebuildsOf(owner, 'pb-backoff')).toHaveLength(1);
      server.config.prebuilds.backoffInterval = 0;
      await pass(server);
      expect((await prebuildsOf(owner, 'pb-backoff')).map((p) => p.status)).toEqual(['failed', 'failed']);
    } finally {
      server.config.prebuilds.backoffInterval = 0;
      await admin.api.patch(`/templates/${templateId}`, { deprecation_message: 'done' });
    }
  });
});

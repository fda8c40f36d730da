// The entity pages' content (issues 17 and 21), in real Chromium against a real server:
// - a running build's page shows each log line as the provisioner writes it (the follow socket, no
//   reload), then the build's end;
// - a claimed prebuild's build page shows the resource-replacement warnings and the parameters;
// - the task page shows the prompt, the current state and the status history;
// - the template page shows the schedule options, the workspace page the workspace's schedule;
// - every one of them fits 375 px, and a failed load offers Retry.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { OWNER, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { AI_DEFINITION, appStatus, createTemplate, createWorkspace, waitForBuild } from '../platform/helpers.js';
import { pass, PREBUILDS_CONFIG, prebuildsOf, presetsOf } from '../platform/prebuild-helpers.js';
import { axeViolations, ensureDashboardBuilt, hasChromium, screenshot, useSession, sharedBrowser } from './browser.js';

const HOUR = 3_600_000;

const change = (address: string, type: string, actions: string[], replace_paths?: unknown[]) => ({
  address,
  mode: 'managed',
  type,
  name: address.split('.').pop()!.replace(/\[.*\]$/, ''),
  change: { actions, before: {}, after: {}, after_unknown: {}, ...(replace_paths ? { replace_paths } : {}) },
});
const REPLACING = {
  format_version: '1.2',
  resource_changes: [change('docker_container.workspace[0]', 'docker_container', ['delete', 'create'], [['image'], ['env']])],
};

describe.skipIf(!hasChromium)('dashboard: entity pages', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let owner: ApiHelper;
    let key: string;
    const shots = engine === 'pglite';
    const prov = (path: string, body: unknown) => server.api.call('POST', path, body, { 'Coder-Provisioner-Key': key });
    const fits = async (page: import('playwright-core').Page) =>
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);

    beforeAll(async () => {
      await ensureDashboardBuilt();
      server = await startTestServer(engine, { config: PREBUILDS_CONFIG });
      owner = (await setupOwner(server.api)).api;
      key = (await owner.post('/organizations/coder/provisionerkeys', { name: 'runner' })).body.key;
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
    });

    it('a running build shows each log line as it is written, then its end', { timeout: 120_000 }, async () => {
      const { templateId } = await createTemplate(owner, 'remote', { definition: { provisioner: 'external' } });
      const created = await owner.post('/users/me/workspaces', { name: 'live-ws', template_id: templateId });
      expect(created.status).toBe(201);
      const job = await prov('/provisionerdaemons/jobs/acquire', { worker_id: 'browser-test' });
      expect(job.status).toBe(200);
      const jobId = job.body.job_id as string;
      expect((await prov(`/provisionerdaemons/jobs/${jobId}/logs`, { logs: [{ stage: 'Planning', output: 'Initializing the backend...' }] })).status).toBe(204);

      const { page, context, errors } = await browser.page(server.url, { width: 375, height: 740 });
      await useSession(context, server.url, owner);
      await page.goto(`/@${OWNER.username}/live-ws/builds/1`);
      await page.locator('[data-page="build"]').waitFor();
      const logs = page.getByLabel('Build logs');
      await logs.getByText('Initializing the backend...').waitFor();
      await page.getByLabel('Streaming live').waitFor();
      // No request is made by the page from here on but the socket's frames.
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));

      expect((await prov(`/provisionerdaemons/jobs/${jobId}/logs`, { logs: [{ stage: 'Applying', output: 'docker_container.dev: Creating...' }] })).status).toBe(204);
      await logs.getByText('[Applying] docker_container.dev: Creating...').waitFor();
      expect(requests).toEqual([]);
      await fits(page);
      if (shots) await screenshot(page, 'page-build-live');
      expect(await axeViolations(page), 'page-build-live').toEqual([]);

      // The end: the last line arrives, the stream closes and the page shows the finished build.
      expect((await prov(`/provisionerdaemons/jobs/${jobId}/complete`, { resources: [], logs: [{ output: 'Apply complete!' }] })).status).toBe(204);
      await logs.getByText('Apply complete!').waitFor();
      await page.locator('[data-page="build"][data-status="running"]').waitFor();
      expect(await page.getByLabel('Streaming live').count()).toBe(0);
      expect(await page.locator('.state-error').count()).toBe(0);
      expect(errors()).toEqual([]);
    });

    it('a claimed prebuild shows the resources it replaced and the build parameters', { timeout: 120_000 }, async () => {
      const { templateId, versionId } = await createTemplate(owner, 'pb-drift', {
        name: 'v1',
        definition: { resources: [{ name: 'workspace', type: 'docker_container', agents: [{ name: 'main' }] }], plan: REPLACING },
        parameters: [{ name: 'region', type: 'string', mutable: true, default_value: 'eu-west' }],
        presets: [{ name: 'big', desired_instances: 1 }],
      });
      const presetId = (await presetsOf(owner, versionId))[0].ID;
      await pass(server);
      const [pb] = await prebuildsOf(owner, 'pb-drift');
      const r = await owner.post('/users/me/workspaces', { name: 'drifty', template_id: templateId, template_version_preset_id: presetId });
      expect(r.body.id).toBe(pb!.id);
      const w = await waitForBuild(owner, pb!.id);

      const { page, context, errors } = await browser.page(server.url, { width: 375, height: 900 });
      await useSession(context, server.url, owner);
      await page.goto(`/@${OWNER.username}/drifty/builds/${w.latest_build.build_number}`);
      const warning = page.locator('[data-section="replacements"]');
      await warning.getByText('Resources replaced.').waitFor();
      await warning.getByText('docker_container.workspace[0] was replaced due to changes to: image, env').waitFor();
      const params = page.getByLabel('Build parameters');
      await params.locator('dt', { hasText: 'region' }).waitFor();
      expect(await params.locator('dd').first().textContent()).toBe('eu-west');
      await fits(page);
      if (shots) await screenshot(page, 'page-build');
      expect(await axeViolations(page), 'page-build').toEqual([]);
      expect(errors()).toEqual([]);
    });

    it('the task page shows the prompt, the current state and the history', { timeout: 120_000 }, async () => {
      const { templateId } = await createTemplate(owner, 'ai', {
        definition: AI_DEFINITION,
        parameters: [{ name: 'AI Prompt', type: 'string', mutable: true, default_value: '' }],
      });
      const { tokens } = await createWorkspace(owner, {
        template_id: templateId,
        name: 'fix-flaky',
        rich_parameter_values: [{ name: 'AI Prompt', value: 'Fix the flaky login test in auth.spec.ts' }],
      });
      const token = tokens.get('main')!;
      expect((await appStatus(owner, token, { app_slug: 'claude-code', state: 'working', message: 'Reading the test' })).status).toBe(200);
      expect((await appStatus(owner, token, { app_slug: 'claude-code', state: 'idle', message: 'Waiting for review' })).status).toBe(200);

      const { page, context, errors } = await browser.page(server.url, { width: 375, height: 800 });
      await useSession(context, server.url, owner);
      await page.goto(`/tasks/${OWNER.username}/fix-flaky`);
      await page.getByLabel('Prompt').getByText('Fix the flaky login test in auth.spec.ts').waitFor();
      const current = page.locator('[data-section="current-state"]');
      await current.getByText('Waiting for review').waitFor();
      const history = page.getByLabel('Status history').locator('li');
      expect(await history.count()).toBe(2);
      expect(await history.first().textContent()).toContain('Waiting for review');
      expect(await history.nth(1).textContent()).toContain('Reading the test');
      await fits(page);
      if (shots) await screenshot(page, 'page-task');
      expect(await axeViolations(page), 'page-task').toEqual([]);
      expect(errors()).toEqual([]);
    });

    it('the template and workspace pages show the schedules', { timeout: 120_000 }, async () => {
      const { templateId } = await createTemplate(owner, 'scheduled');
      const patched = await owner.patch(`/templates/${templateId}`, {
        default_ttl_ms: 8 * HOUR,
        activity_bump_ms: HOUR,
        autostop_requirement: { days_of_week: ['saturday', 'sunday'], weeks: 2 },
        autostart_requirement: { days_of_week: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] },
        failure_ttl_ms: 2 * HOUR,
        time_til_dormant_ms: 30 * 24 * HOUR,
        time_til_dormant_autodelete_ms: 7 * 24 * HOUR,
        require_active_version: true,
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      const { workspace } = await createWorkspace(owner, { template_id: templateId, name: 'sched-ws' });
      expect((await owner.put(`/workspaces/${workspace.id}/autostart`, { schedule: 'CRON_TZ=Europe/Paris 30 9 * * 1-5' })).status).toBe(204);
      expect((await owner.put(`/workspaces/${workspace.id}/ttl`, { ttl_ms: 2 * HOUR })).status).toBe(204);
      const fresh = (await owner.get(`/workspaces/${workspace.id}`)).body;

      const { page, context, errors } = await browser.page(server.url, { width: 375, height: 900 });
      await useSession(context, server.url, owner);
      const fact = (section: string, label: string) => page.locator(`[aria-label="${section}"] [data-fact="${label}"] dd`).textContent();

      await page.goto('/templates/coder/scheduled');
      await page.getByLabel('Template schedule').waitFor();
      expect(await fact('Template schedule', 'Default time until autostop')).toBe('8h');
      expect(await fact('Template schedule', 'Activity bump')).toBe('1h');
      expect(await fact('Template schedule', 'Autostop requirement')).toBe('Sun, Sat, every 2 weeks');
      expect(await fact('Template schedule', 'Autostart allowed on')).toBe('Mon, Tue, Wed, Thu, Fri');
      expect(await fact('Template schedule', 'Stop failed workspaces after')).toBe('2h');
      expect(await fact('Template schedule', 'Dormancy threshold')).toBe('30d');
      expect(await fact('Template schedule', 'Delete dormant workspaces after')).toBe('7d');
      expect(await fact('Template schedule', 'Automatic updates')).toBe('required: workspaces start on the active version');
      await fits(page);
      if (shots) await screenshot(page, 'page-template');
      expect(await axeViolations(page), 'page-template').toEqual([]);

      await page.goto(`/@${OWNER.username}/sched-ws`);
      await page.getByLabel('Workspace schedule').waitFor();
      expect(await fact('Workspace schedule', 'Autostart')).toBe('09:30 Mon–Fri (Europe/Paris)');
      // The next start, when the server has computed one.
      if (fresh.next_start_at) expect(await fact('Workspace schedule', 'Next autostart')).toBe(`${new Date(fresh.next_start_at).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
      else expect(await page.locator('[data-fact="Next autostart"]').count()).toBe(0);
      expect(await fact('Workspace schedule', 'Time until autostop')).toBe('2h');
      expect(await fact('Workspace schedule', 'Deadline')).toBe(`${new Date(fresh.latest_build.deadline).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
      expect(await fact('Workspace schedule', 'Dormant since')).toBe('not dormant');
      expect(await fact('Workspace schedule', 'Deleting at')).toBe('not scheduled');
      await fits(page);
      if (shots) await screenshot(page, 'page-workspace');
      expect(await axeViolations(page), 'page-workspace').toEqual([]);

      // Dormant: the dates appear.
      expect((await owner.put(`/workspaces/${workspace.id}/dormant`, { dormant: true })).status).toBe(200);
      const dormant = (await owner.get(`/workspaces/${workspace.id}`)).body;
      await page.reload();
      await page.getByLabel('Workspace schedule').waitFor();
      expect(await fact('Workspace schedule', 'Dormant since')).toBe(`${new Date(dormant.dormant_at).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
      expect(await fact('Workspace schedule', 'Deleting at')).toBe(`${new Date(dormant.deleting_at).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
      expect(errors()).toEqual([]);
    });

    it('dark mode: the build, task, template and workspace pages have no serious axe violations', { timeout: 120_000 }, async () => {
      const { page, context, errors } = await browser.page(server.url, { width: 375, height: 900, colorScheme: 'dark' });
      await useSession(context, server.url, owner);
      for (const [path, ready] of [
        [`/@${OWNER.username}/drifty/builds/2`, '[data-section="replacements"]'],
        [`/tasks/${OWNER.username}/fix-flaky`, '[data-section="current-state"]'],
        ['/templates/coder/scheduled', '[aria-label="Template schedule"]'],
        [`/@${OWNER.username}/sched-ws`, '[aria-label="Workspace schedule"]'],
      ] as const) {
        await page.goto(path);
        await page.locator(ready).waitFor();
        await page.waitForFunction(() => !document.querySelector('.state-loading'));
        expect(await axeViolations(page), path).toEqual([]);
        await fits(page);
      }
      expect(errors()).toEqual([]);
    });

    it('a failed load of a build offers Retry, and Retry loads it', { timeout: 60_000 }, async () => {
      const { page, context } = await browser.page(server.url, { width: 375, height: 740 });
      await useSession(context, server.url, owner);
      let fail = true;
      await page.route('**/api/v2/workspacebuilds/*/parameters', (route) =>
        fail ? route.fulfill({ status: 500, contentType: 'application/json', body: '{"message":"boom"}' }) : route.continue(),
      );
      await page.goto(`/@${OWNER.username}/sched-ws/builds/1`);
      await page.getByRole('alert').getByText('Failed to load the build: boom').waitFor();
      await fits(page);
      fail = false;
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.locator('[data-page="build"]').waitFor();
      await page.getByText('This build has no parameters.').waitFor();
    });
  });
});

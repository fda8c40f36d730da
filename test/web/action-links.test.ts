// Every notification leads somewhere (issue 17 item 1): every action URL that every template of the
// catalogue produces — rendered through the preview with the ids of real entities — opens a real
// dashboard page for that entity (never "There is no page at this address"), at 375 px without
// sideways scrolling; a link to a deleted workspace says so. (The screenshots of the workspace, build,
// task and template pages are taken by entity-pages.test.ts, with their schedules, logs and prompt.)

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, OWNER, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { AI_DEFINITION, appStatus, createTemplate, createWorkspace, waitForBuild } from '../platform/helpers.js';
import { CASES } from '../render/cases.js';
import { TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT } from '../../src/notifications/templates/catalogue.js';
import { ensureDashboardBuilt, hasChromium, screenshot, useSession, sharedBrowser } from './browser.js';

/** The page each action path must open (data-page of the page's root). */
function expectedPage(path: string): string | undefined {
  const p = path.split('?')[0]!;
  if (/^\/@[^/]+\/[^/]+\/builds\/\d+$/.test(p)) return 'build';
  if (/^\/@[^/]+\/[^/]+$/.test(p)) return 'workspace';
  if (/^\/tasks\/[^/]+\/[^/]+$/.test(p)) return 'task';
  if (/^\/templates\/[^/]+\/[^/]+\/versions\/[^/]+$/.test(p)) return 'template-version';
  if (/^\/templates\/[^/]+\/[^/]+$/.test(p)) return 'template';
  return undefined;
}

describe.skipIf(!hasChromium)('dashboard: notification action links', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let owner: ApiHelper;
    let ws: { id: string; name: string; latest_build: { build_number: number } };
    let versionName: string;
    const shots = engine === 'pglite';

    beforeAll(async () => {
      await ensureDashboardBuilt();
      server = await startTestServer(engine);
      owner = (await setupOwner(server.api)).api;
      await createUser(owner, [], { username: 'mia', name: 'Mia Member' });
      const { templateId, versionId } = await createTemplate(owner, 'docker', { definition: AI_DEFINITION });
      versionName = (await owner.get(`/templateversions/${versionId}`)).body.name;
      const created = await createWorkspace(owner, { template_id: templateId, name: 'dev-ws' });
      ws = created.workspace;
      const token = created.tokens.get('main')!;
      expect((await appStatus(owner, token, { app_slug: 'claude-code', state: 'working', message: 'Reading the code' })).status).toBe(200);
      // One that is gone.
      const old = await createWorkspace(owner, { template_id: templateId, name: 'old-ws' });
      expect((await owner.post(`/workspaces/${old.workspace.id}/builds`, { transition: 'delete' })).status).toBe(201);
      await waitForBuild(owner, old.workspace.id);
    }, 180_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
    });

    it('every action of every template opens a real page for a real entity', { timeout: 240_000 }, async () => {
      const labels: Record<string, string> = {
        name: ws.name,
        workspace: ws.name,
        task_id: ws.name,
        task: 'Fix the flaky test',
        workspace_owner_username: OWNER.username,
        claimant: OWNER.username,
        workspace_build_number: String(ws.latest_build.build_number),
        workspace_build_num: String(ws.latest_build.build_number),
        organization: 'coder',
        org: 'coder',
        template: 'docker',
        version: versionName,
        template_version: versionName,
        one_time_passcode: '00000000-0000-4000-8000-000000000000',
        initiator: 'autobuild',
        reason: 'test',
      };
      const data = { report_frequency: 'week', templates: [{ name: 'docker', display_name: 'Docker', failed_builds: 1, total_builds: 3, versions: [{ template_version_name: versionName, failed_count: 1, failed_builds: [{ workspace_id: ws.id, workspace_name: ws.name, workspace_owner_username: OWNER.username, build_number: 1 }] }] }] };
      const templates = [...(await owner.get('/notifications/templates/system')).body, ...(await owner.get('/notifications/templates/custom')).body] as { id: string; name: string }[];
      const targets = new Map<string, string[]>(); // path → templates that link there
      for (const t of templates) {
        // The golden case's labels and data (what the template needs to render), with real ids.
        const c = CASES.find((x) => x.id === t.id);
        const body = {
          labels: { ...(c?.labels ?? {}), ...labels },
          data: t.id === TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT ? data : (c?.data ?? {}),
        };
        const r = await owner.post(`/notifications/templates/${t.id}/preview`, body);
        expect(r.status, `${t.name}: ${JSON.stringify(r.body)}`).toBe(200);
        for (const a of r.body.actions as { label: string; url: string }[]) {
          // The links use the access URL; the page is opened on this server.
          const u = new URL(a.url);
          const path = u.pathname + u.search;
          targets.set(path, [...(targets.get(path) ?? []), `${t.name} / ${a.label}`]);
        }
      }
      expect(targets.size).toBeGreaterThan(10);

      const { page, context, errors } = await browser.page(server.url, { width: 375, height: 740 });
      await useSession(context, server.url, owner);
      const seen: string[] = [];
      for (const [path, from] of targets) {
        const why = `${path} (${from.join(', ')})`;
        await page.goto(path);
        await page.locator('main h1').first().waitFor();
        await page.waitForFunction(() => !document.querySelector('.state-loading, .page-loading'));
        expect(await page.locator('[data-page="not-found"]').count(), why).toBe(0);
        expect(await page.locator('[data-page="missing"], [data-page="gone"], .state-error').count(), why).toBe(0);
        const want = expectedPage(path);
        if (want) expect(await page.locator(`[data-page="${want}"]`).count(), why).toBe(1);
        // Its own title, and nothing wider than the phone.
        expect(await page.title(), why).toMatch(/ · Herald$/);
        expect(await page.evaluate(() => document.documentElement.scrollWidth), why).toBeLessThanOrEqual(375);
        seen.push(`${path} → ${await page.title()}`);
      }
      // The workspaces filter of the "builds failed" report selects the workspace by id.
      await page.goto(`/workspaces?filter=${encodeURIComponent(`id:${ws.id}`)}`);
      await page.locator(`[data-workspace-id="${ws.id}"]`).waitFor();
      expect(errors()).toEqual([]);
      expect(seen.length).toBe(targets.size);
    });

    it('real content: workspace, build, task and template version pages; a deleted workspace says so', { timeout: 120_000 }, async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      await page.goto(`/@${OWNER.username}/dev-ws`);
      await page.locator('[data-page="workspace"]').waitFor();
      await page.getByRole('heading', { name: 'Agents and apps' }).waitFor();
      await page.getByText('claude-code').first().waitFor();
      await page.getByRole('button', { name: 'Stop' }).waitFor();
      await page.getByRole('link', { name: '#1' }).click();
      await page.locator('[data-page="build"]').waitFor();
      await page.locator('dt', { hasText: 'Initiator' }).waitFor();
      await page.goto(`/tasks/${OWNER.username}/dev-ws`);
      await page.getByText('Reading the code').first().waitFor();
      await page.goto(`/templates/coder/docker/versions/${versionName}`);
      await page.locator('[data-page="template-version"]').waitFor();
      await page.getByText('active').first().waitFor();
      if (shots) await screenshot(page, 'page-template-version');
      await page.goto('/templates/coder/docker');
      await page.locator('[data-page="template"]').waitFor();
      await page.goto('/workspaces?filter=owner:me');
      await page.getByRole('link', { name: 'dev-ws' }).waitFor();
      expect(await page.getByRole('link', { name: 'old-ws' }).count()).toBe(0);
      if (shots) await screenshot(page, 'page-workspaces');
      await page.goto('/deployment/users?filter=status:active');
      await page.getByText('mia').first().waitFor();
      if (shots) await screenshot(page, 'page-users');

      await page.goto(`/@${OWNER.username}/old-ws`);
      await page.getByRole('heading', { name: 'This workspace was deleted' }).waitFor();
      if (shots) await screenshot(page, 'page-workspace-deleted');
      await page.goto(`/@${OWNER.username}/old-ws/builds/1`);
      await page.getByRole('heading', { name: 'This workspace was deleted' }).waitFor();
      await page.goto('/templates/coder/no-such-template');
      await page.getByRole('heading', { name: 'This template was deleted' }).waitFor();
      expect(errors().filter((e) => !/status of 4(04|10)/.test(e))).toEqual([]);
    });

    it('an error shows Retry, and Retry loads the page', { timeout: 60_000 }, async () => {
      const { page, context } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      let fail = true;
      await page.route('**/api/v2/templates', (route) => (fail ? route.fulfill({ status: 500, contentType: 'application/json', body: '{"message":"boom"}' }) : route.continue()));
      await page.goto('/templates');
      await page.getByRole('alert').getByText('Failed to load templates: boom').waitFor();
      fail = false;
      await page.getByRole('button', { name: 'Retry' }).click();
      await page.getByRole('link', { name: 'docker' }).waitFor();
    });
  });
});

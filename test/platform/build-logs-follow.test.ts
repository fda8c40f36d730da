// Following a build's logs (issue 17: streamed live while running): GET /workspacebuilds/{id}/logs?follow
// is a WebSocket that sends the lines written so far, then each new line as an external provisioner
// writes it, and closes with 1000 once the build has finished. Without follow it stays the JSON list.

import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { createTemplate, waitForBuild } from './helpers.js';

interface Line {
  id: number;
  output: string;
  stage: string;
  log_level: string;
}

function follow(url: string, token: string | undefined, query: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/v2${query}`, { headers: { ...(token ? { 'Coder-Session-Token': token } : {}), ...headers } });
  const lines: Line[] = [];
  ws.on('message', (d) => lines.push(JSON.parse(String(d)) as Line));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, lines, closed, opened };
}

describeEachEngine('following build logs', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let member: { api: ApiHelper; id: string };
  let other: { api: ApiHelper; id: string };
  let key: string;
  let templateId: string;
  const prov = (path: string, body: unknown) => server.api.call('POST', path, body, { 'Coder-Provisioner-Key': key });

  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = (await setupOwner(server.api)).api;
    member = await createUser(owner);
    other = await createUser(owner);
    key = (await owner.post('/organizations/coder/provisionerkeys', { name: 'runner' })).body.key;
    templateId = (await createTemplate(owner, 'external', { definition: { provisioner: 'external' } })).templateId;
  });
  afterAll(async () => server?.stop());

  it('streams the lines while the build runs and closes when it finishes', async () => {
    const created = await member.api.post('/users/me/workspaces', { name: 'follow-me', template_id: templateId });
    expect(created.status).toBe(201);
    const buildId = created.body.latest_build.id as string;
    const job = await prov('/provisionerdaemons/jobs/acquire', { worker_id: 'test' });
    expect(job.status).toBe(200);
    const jobId = job.body.job_id as string;
    expect((await prov(`/provisionerdaemons/jobs/${jobId}/logs`, { logs: [{ stage: 'Planning', output: 'first line' }] })).status).toBe(204);

    const f = follow(server.url, member.api.token, `/workspacebuilds/${buildId}/logs?follow&after=0`);
    await f.opened;
    await waitFor(() => f.lines.length >= 1);
    expect(f.lines.map((l) => l.output)).toEqual(['first line']);

    // A line written now arrives without asking again.
    expect((await prov(`/provisionerdaemons/jobs/${jobId}/logs`, { logs: [{ stage: 'Applying', output: 'second line', level: 'warn' }] })).status).toBe(204);
    await waitFor(() => f.lines.length >= 2);
    expect(f.lines[1]).toMatchObject({ output: 'second line', stage: 'Applying', log_level: 'warn' });
    expect(f.lines[1]!.id).toBeGreaterThan(f.lines[0]!.id);

    // Completion sends the last lines and closes normally.
    expect((await prov(`/provisionerdaemons/jobs/${jobId}/complete`, { resources: [], logs: [{ output: 'done' }] })).status).toBe(204);
    expect(await f.closed).toBe(1000);
    const all = (await member.api.get(`/workspacebuilds/${buildId}/logs`)).body as Line[];
    expect(f.lines.map((l) => l.id)).toEqual(all.map((l) => l.id));
    await waitForBuild(member.api, created.body.id);

    // A finished build: the lines after `after`, then closed at once.
    const again = follow(server.url, member.api.token, `/workspacebuilds/${buildId}/logs?follow=true&after=${all[0]!.id}`);
    expect(await again.closed).toBe(1000);
    expect(again.lines.map((l) => l.id)).toEqual(all.slice(1).map((l) => l.id));
    // The JSON list takes `after` too.
    const rest = await member.api.get(`/workspacebuilds/${buildId}/logs?after=${all[0]!.id}`);
    expect(rest.body.map((l: Line) => l.id)).toEqual(all.slice(1).map((l) => l.id));
  });

  it('refuses what it must before the upgrade', async () => {
    const ws = await member.api.post('/users/me/workspaces', { name: 'follow-refused', template_id: templateId });
    const buildId = ws.body.latest_build.id as string;
    // No upgrade: 426 with a JSON message.
    const plain = await member.api.get(`/workspacebuilds/${buildId}/logs?follow=true`);
    expect(plain.status).toBe(426);
    expect(plain.body.message).toBe('Upgrade Required');
    // Someone else's build is not found; nobody signed in is 401.
    await expect(follow(server.url, other.api.token, `/workspacebuilds/${buildId}/logs?follow`).opened).rejects.toThrow('HTTP 404');
    await expect(follow(server.url, undefined, `/workspacebuilds/${buildId}/logs?follow`).opened).rejects.toThrow('HTTP 401');
    await expect(follow(server.url, member.api.token, `/workspacebuilds/00000000-0000-4000-8000-000000000000/logs?follow`).opened).rejects.toThrow('HTTP 404');
    // The session cookie from another site's page is refused.
    const cookie = { Cookie: `coder_session_token=${member.api.token}`, Origin: 'https://evil.example' };
    await expect(follow(server.url, undefined, `/workspacebuilds/${buildId}/logs?follow`, cookie).opened).rejects.toThrow('HTTP 403');
    const same = follow(server.url, undefined, `/workspacebuilds/${buildId}/logs?follow`, { ...cookie, Origin: server.url });
    await same.opened;
    same.ws.close();
  });
});

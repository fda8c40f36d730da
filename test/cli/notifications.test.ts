import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, runCli } from '../support/process.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { TEMPLATE_CUSTOM_NOTIFICATION, TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The CLI is an HTTP client: one engine is enough here (the API itself is tested on both).
describe('herald notifications (CLI, end to end)', () => {
  let server: TestServer;
  let owner: ApiHelper;
  let configDir: string;

  const run = (token: string | undefined, args: string[], stdin?: string): Promise<Run> =>
    runCli(args, {
      input: stdin,
      inheritEnv: false,
      env: { HERALD_URL: server.url, ...(token ? { HERALD_SESSION_TOKEN: token } : {}), HERALD_CONFIG_DIR: configDir },
    });

  beforeAll(async () => {
    ensureCliBuilt(['cli/commands/notifications.ts']);
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
    server = await startTestServer('pglite');
    ({ api: owner } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('pauses and resumes the dispatcher (owner) with the reference messages; a member gets one error line and exit 1', async () => {
    const m = await createUser(owner);
    const p = await run(owner.token, ['notifications', 'pause']);
    expect(p).toMatchObject({ code: 0, stderr: 'Notifications are now paused.\n', stdout: '' });
    expect((await owner.get('/notifications/settings')).body).toEqual({ notifier_paused: true });
    // The alias `notification` works too.
    const r = await run(owner.token, ['notification', 'resume']);
    expect(r).toMatchObject({ code: 0, stderr: 'Notifications are now resumed.\n' });
    // Only after the resume: like the reference, an unchanged value answers 304 before the permission check.
    const denied = await run(m.api.token, ['notifications', 'pause']);
    expect(denied.code, denied.stderr).toBe(1);
    expect(denied.stderr).toMatch(/^error: unable to pause notifications: .*\[403\]\n$/);
    expect((await owner.get('/notifications/settings')).body).toEqual({ notifier_paused: false });
  });

  it('sends a test notification', async () => {
    const r = await run(owner.token, ['notifications', 'test']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("A test notification has been sent. If you don't receive the notification, check Herald's logs for any errors.\n");
    const n = await server.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notification_messages WHERE notification_template_id = $1`,
      [TEMPLATE_TEST_NOTIFICATION],
    );
    expect(n.rows[0].n).toBeGreaterThan(0);
    // Then how each configured method delivered it (this deployment has the inbox only).
    expect(r.stdout).toMatch(/^METHOD\s+STATUS\s+ATTEMPTS\s+LAST ERROR\ninbox\s+sent\s+1\s*$/);
  });

  it('sends a custom notification from arguments and from standard input', async () => {
    const m = await createUser(owner);
    const [r, piped] = await Promise.all([
      run(m.api.token, ['notifications', 'custom', 'Deploy', 'v1.2.3 is live']),
      run(m.api.token, ['notifications', 'custom', 'Test results', '-'], '42 passed\n0 failed\n'),
    ]);
    expect(r).toMatchObject({ code: 0, stderr: 'A custom notification has been sent.\n' });
    expect(piped).toMatchObject({ code: 0, stderr: 'A custom notification has been sent.\n' });
    const rows = await server.db.query<{ payload: { labels: Record<string, string> } }>(
      `SELECT payload FROM notification_messages WHERE user_id = $1 AND notification_template_id = $2`,
      [m.id, TEMPLATE_CUSTOM_NOTIFICATION],
    );
    const labels = rows.rows.map((x) => x.payload.labels);
    expect(labels).toHaveLength(2);
    expect(labels).toContainEqual({ custom_title: 'Deploy', custom_message: 'v1.2.3 is live' });
    expect(labels).toContainEqual({ custom_title: 'Test results', custom_message: '42 passed\n0 failed' });
  });

  it('reports bad custom input, wrong argument counts and a missing session as one line with a non-zero exit', async () => {
    const m = await createUser(owner);
    const [blank, three, anon] = await Promise.all([
      run(m.api.token, ['notifications', 'custom', '   ', 'msg']),
      run(m.api.token, ['notifications', 'custom', 'a', 'b', 'c']),
      run(undefined, ['notifications', 'custom', 'a', 'b']),
    ]);
    expect(blank.code).toBe(1);
    expect(blank.stderr).toBe(
      "error: unable to post custom notification: Invalid request body: provide a non-empty 'content.title' and 'content.message' (content.title: provide a non-empty 'content.title' and 'content.message') [400]\n",
    );
    expect(three.code).not.toBe(0);
    expect(three.stderr).toMatch(/too many arguments/);
    expect(anon.code).toBe(1);
    expect(anon.stderr).toMatch(/^error: You are not logged in/);
  });

  it('lists templates (table) and the delivery history (JSON, filtered)', async () => {
    const [table, msgs] = await Promise.all([
      run(owner.token, ['notifications', 'templates']),
      run(owner.token, ['notifications', 'messages', '--method', 'inbox', '--template', TEMPLATE_TEST_NOTIFICATION, '-o', 'json']),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+GROUP\s+KIND\s+METHOD\s+ENABLED BY DEFAULT$/);
    expect(table.stdout).toMatch(new RegExp(`${TEMPLATE_CUSTOM_NOTIFICATION}\\s+Custom Notification\\s+Custom Events\\s+custom`));
    expect(table.stdout).toContain('Troubleshooting Notification');
    expect(msgs.code).toBe(0);
    const list = JSON.parse(msgs.stdout) as { method: string; template_name: string }[];
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((x) => x.method === 'inbox' && x.template_name === 'Troubleshooting Notification')).toBe(true);
  });
});

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HERALD_BIN, ensureCliBuilt, runCli } from '../support/process.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Report {
  triggered: number;
  channels: { channel: string; expected: number; received: number; missed: number; p50_ms: number | null; p99_ms: number | null }[];
  errors: Record<string, number>;
  cleanup: { deleted: number; failed: number };
  passed: boolean;
}

// The CLI is an HTTP client: one engine (the API itself is tested on both). The deployment sends
// its e-mail over real SMTP to the command's mock server.
describe('herald scaletest notifications (CLI against a real server and SMTP path)', () => {
  let server: TestServer;
  let owner: ApiHelper;
  let configDir: string;
  let smtpPort: number;

  const env = () => ({ HERALD_URL: server.url, HERALD_SESSION_TOKEN: owner.token!, HERALD_CONFIG_DIR: configDir });
  const scaleUsers = async () =>
    (await server.db.query<{ username: string; deleted: boolean }>(`SELECT username, deleted FROM users WHERE username LIKE 'scaletest-%' ORDER BY username`)).rows;

  beforeAll(async () => {
    ensureCliBuilt(['cli/commands/scaletest.ts', 'cli/program.ts']);
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
    smtpPort = await freePort();
    server = await startTestServer('pglite', {
      config: {
        notifications: { method: 'smtp', retryInterval: 60_000, maxSendAttempts: 1 },
        email: { smarthost: `127.0.0.1:${smtpPort}`, from: 'herald@example.com', hello: 'localhost' },
      },
    });
    ({ api: owner } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
    if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('receives every message over the inbox watch and SMTP, prints latency per channel and deletes its users', async () => {
    const r = await runCli(['scaletest', 'notifications', '--users', '4', '--rate', '8', '--duration', '2s', '--smtp-listen', `127.0.0.1:${smtpPort}`, '--seed', 'a1'], {
      inheritEnv: false,
      env: env(),
    });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^Scale test: 4 users, 8\/s for 2s, 16 notifications sent\n/);
    expect(r.stdout).toMatch(/^CHANNEL\s+EXPECTED\s+RECEIVED\s+MISSED\s+P50 MS\s+P95 MS\s+P99 MS\s+MAX MS$/m);
    expect(r.stdout).toMatch(/^inbox\s+16\s+16\s+0\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m);
    expect(r.stdout).toMatch(/^smtp\s+16\s+16\s+0\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+$/m);
    expect(r.stdout).toContain('Errors: none\nCleanup: 4 users deleted\nResult: PASS\n');
    // Progress while running, on standard error.
    expect(r.stderr).toMatch(/Creating 4 users/);
    expect(r.stderr).toMatch(/\[\d+s\] sent \d+\/16, accepted \d+, inbox \d+, smtp \d+, errors 0/);
    // The deployment really sent them: 16 custom notifications per method, all sent.
    const sent = await server.db.query<{ method: string; n: number }>(
      `SELECT m.method::text AS method, count(*)::int AS n FROM notification_messages m JOIN users u ON u.id = m.user_id
       WHERE u.username LIKE 'scaletest-a1-%' AND m.status = 'sent' GROUP BY 1 ORDER BY 1`,
    );
    expect(sent.rows).toEqual([{ method: 'inbox', n: 16 }, { method: 'smtp', n: 16 }]);
    expect(await scaleUsers()).toEqual(['1', '2', '3', '4'].map((i) => ({ username: `scaletest-a1-${i}`, deleted: true })));
  });

  it('exits 1 with the missed messages counted when the deployment sends its e-mail elsewhere (JSON output)', async () => {
    const elsewhere = await freePort();
    const r = await runCli(['scaletest', 'notifications', '--users', '2', '--rate', '4', '--duration', '1s', '--timeout', '2s', '--smtp-listen', `127.0.0.1:${elsewhere}`, '--seed', 'b2', '-o', 'json'], {
      inheritEnv: false,
      env: env(),
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`warning: the deployment sends e-mail to 127.0.0.1:${smtpPort}, not to 127.0.0.1:${elsewhere}`);
    expect(r.stderr).toMatch(/error: scale test failed: 4 message\(s\) missed, 0 error\(s\)\n$/);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ triggered: 4, passed: false, cleanup: { deleted: 2, failed: 0 } });
    expect(report.channels.map(({ channel, expected, received, missed }) => ({ channel, expected, received, missed }))).toEqual([
      { channel: 'inbox', expected: 4, received: 4, missed: 0 },
      { channel: 'smtp', expected: 4, received: 0, missed: 4 },
    ]);
    expect(report.channels[1].p50_ms).toBeNull();
    expect((await scaleUsers()).filter((u) => u.username.startsWith('scaletest-b2-'))).toEqual([
      { username: 'scaletest-b2-1', deleted: true },
      { username: 'scaletest-b2-2', deleted: true },
    ]);
  });

  it('deletes its users when interrupted with Ctrl-C, and exits 130', async () => {
    const child = spawn(process.execPath, [HERALD_BIN, 'scaletest', 'notifications', '--users', '3', '--rate', '1', '--duration', '60s', '--no-smtp', '--seed', 'c3'], {
      env: { PATH: process.env.PATH, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const closed = new Promise<number | null>((r) => child.on('close', r));
    await waitFor(() => /Sending 60 notifications/.test(stderr), 30_000);
    const created = (await scaleUsers()).filter((u) => u.username.startsWith('scaletest-c3-'));
    expect(created).toEqual(['1', '2', '3'].map((i) => ({ username: `scaletest-c3-${i}`, deleted: false })));
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(stderr).toContain('Interrupted: stopping and cleaning up');
    expect(stdout).toMatch(/\(interrupted\)[\s\S]*Cleanup: 3 users deleted\nResult: FAIL/);
    expect((await scaleUsers()).filter((u) => u.username.startsWith('scaletest-c3-')).every((u) => u.deleted)).toBe(true);
  });

  it('refuses a rate over the deployment\'s custom-notification limit before creating anyone, and documents its flags', async () => {
    const before = (await scaleUsers()).length;
    const r = await runCli(['scaletest', 'notifications', '--users', '1', '--rate', '5', '--duration', '20s', '--no-smtp'], { inheritEnv: false, env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/each user would send 100 custom notifications in a minute, over the deployment's limit of 60/);
    expect((await scaleUsers()).length).toBe(before);
    const help = await runCli(['scaletest', 'notifications', '--help'], { inheritEnv: false, env: env() });
    for (const flag of ['--users', '--rate', '--duration', '--timeout', '--smtp-listen', '--no-smtp', '--no-cleanup', '--output']) expect(help.stdout).toContain(flag);
    expect(help.stdout).toContain('--email-smarthost');
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { runCli } from '../support/process.js';

// The CLI is an HTTP client: one engine is enough here.
describe('herald login, logout and users', { timeout: 120_000 }, () => {
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    env = { HERALD_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-')), HERALD_URL: '', HERALD_SESSION_TOKEN: '' };
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(env.HERALD_CONFIG_DIR!, { recursive: true, force: true });
  });

  it('sets up the first user on a new deployment and stores the session', async () => {
    const r = await runCli(['login', server.url, '--email', 'root@example.com', '--password', 'Sup3r-Secret-Passw0rd!', '--username', 'root'], { env });
    expect(r.stderr).toContain('creating the first user');
    expect(r.stderr).toContain('Welcome to Herald, root!');
    expect(r.code).toBe(0);
    const stored = JSON.parse(fs.readFileSync(path.join(env.HERALD_CONFIG_DIR!, 'session.json'), 'utf8'));
    expect(stored.url).toBe(server.url);
    expect((fs.statSync(path.join(env.HERALD_CONFIG_DIR!, 'session.json')).mode & 0o777).toString(8)).toBe('600');
  });

  it('manages users with table and JSON output', async () => {
    const created = await runCli(['users', 'create', '-e', 'bob@example.com', '-u', 'bob', '-n', 'Bob B', '-p', 'An0ther-Str0ng-Passw0rd!'], { env });
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('User bob created.');
    const table = await runCli(['users', 'list'], { env });
    expect(table.stdout.split('\n')[0]).toMatch(/^USERNAME\s+EMAIL\s+NAME\s+STATUS\s+ROLES/);
    expect(table.stdout).toMatch(/bob\s+bob@example.com\s+Bob B\s+active/);
    const json = JSON.parse((await runCli(['users', 'list', '-o', 'json'], { env })).stdout);
    expect(json.map((u: { username: string }) => u.username).sort()).toEqual(['bob', 'root']);
    expect((await runCli(['users', 'suspend', 'bob'], { env })).stderr).toContain('User bob has been suspended.');
    const shown = JSON.parse((await runCli(['users', 'show', 'bob', '-o', 'json'], { env })).stdout);
    expect(shown[0].status).toBe('suspended');
    expect((await runCli(['users', 'activate', 'bob'], { env })).code).toBe(0);
    expect((await runCli(['users', 'delete', 'bob', '--yes'], { env })).stderr).toContain('User bob has been deleted.');
  });

  it('fails with one clear line and a non-zero exit', async () => {
    const dup = await runCli(['users', 'create', '-e', 'root@example.com', '-u', 'root2', '-p', 'An0ther-Str0ng-Passw0rd!'], { env });
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim().split('\n')).toHaveLength(1);
    expect(dup.stderr).toMatch(/^error: A user with this email already exists\. \[409\]/);
    const wrong = await runCli(['login', server.url, '--email', 'root@example.com', '--password', 'nope-nope-nope1A'], { env: { ...env, HERALD_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-')) } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: Incorrect email or password\. \[401\]/);
    const unreachable = await runCli(['login', 'http://127.0.0.1:1', '--email', 'a@b.c', '--password', 'x'], { env });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^error: cannot reach http:\/\/127.0.0.1:1/);
    expect((await runCli(['users', '--help'], { env })).stdout).toContain('suspend');
  });

  it('logs out and forgets the session', async () => {
    const r = await runCli(['logout'], { env });
    expect(r.stderr).toContain('You are no longer logged in.');
    const after = await runCli(['users', 'list'], { env });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('You are not logged in');
  });
});

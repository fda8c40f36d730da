import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { HERALD_BIN, runCli } from '../support/process.js';

// The flows a new user tries first (issue 22). The CLI is an HTTP client: one engine is enough here.
describe('herald CLI: the newcomer flows', { timeout: 180_000 }, () => {
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  let owner: ApiHelper;
  const cli = (...args: string[]) => runCli(args, { env });

  beforeAll(async () => {
    server = await startTestServer('pglite');
    ({ api: owner } = await setupOwner(server.api));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-new-'));
    env = { HERALD_URL: server.url, HERALD_SESSION_TOKEN: owner.token, HERALD_CONFIG_DIR: dir };
    const version = (slug: string, logs: unknown[] = []) =>
      JSON.stringify({
        definition: {
          provisioner: 'builtin',
          delay_ms: 300,
          logs,
          resources: [{ name: 'dev', type: 'docker_container', agents: [{ name: 'main', apps: [{ slug }] }] }],
        },
      });
    fs.writeFileSync(path.join(dir, 'v1.json'), version('code', [{ stage: 'Pulling image', output: 'pulling ubuntu:24.04' }]));
    fs.writeFileSync(path.join(dir, 'v2.json'), version('claude'));
    fs.writeFileSync(path.join(dir, 'v3.json'), version('cursor'));
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('whoami says who and where, as text and JSON', async () => {
    const r = await cli('whoami');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Herald is running at ${server.url}`);
    expect(r.stdout).toMatch(/authenticated as \S+/);
    const [me] = JSON.parse((await cli('whoami', '-o', 'json')).stdout);
    expect(me.url).toBe(server.url);
    expect(me.roles.map((x: { name: string }) => x.name)).toContain('owner');
  });

  it('creates, lists and removes API tokens; a revoked token says to log in again', async () => {
    const created = await cli('tokens', 'create', '--name', 'ci', '--lifetime', '24h');
    expect(created.code, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^\S+-\S+$/);
    const listed = JSON.parse((await cli('tokens', 'list', '-o', 'json')).stdout);
    expect(listed.map((k: { token_name: string }) => k.token_name)).toEqual(['ci']);
    expect(JSON.stringify(listed)).not.toContain(secret.split('-')[1]);
    expect((await cli('tokens', 'list')).stdout).toMatch(/^ID\s+NAME\s+LAST USED/);

    const withToken = { ...env, HERALD_SESSION_TOKEN: secret };
    expect((await runCli(['whoami'], { env: withToken })).code).toBe(0);

    // Without a terminal there is no one to confirm: refused unless --yes.
    const refused = await cli('tokens', 'remove', 'ci');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes');
    const removed = await cli('tokens', 'remove', 'ci', '--yes');
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse((await cli('tokens', 'list', '-o', 'json')).stdout)).toEqual([]);

    const after = await runCli(['whoami'], { env: withToken });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('[401]');
    expect(after.stderr).toContain(`run "herald login ${server.url}"`);
  });

  it('login detects a server that is not Herald', async () => {
    for (const [status, type, body] of [
      [404, 'text/html', '<html>Not found</html>'],
      [501, 'application/json', '{"message":"not implemented"}'],
      [200, 'application/json', '{"hello":"world"}'],
    ] as const) {
      const other = http.createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      try {
        const r = await runCli(['login', url, '--email', 'a@example.com', '--password', 'x'], { env: { ...env, HERALD_URL: '', HERALD_SESSION_TOKEN: '' } });
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`${url} does not look like a Herald server`);
        expect(r.stderr).not.toContain('first user');
      } finally {
        await new Promise((resolve) => other.close(resolve));
      }
    }
  });

  it('accepts a username, an e-mail or an id for --user', async () => {
    const u = await createUser(owner, [], { username: 'ada', email: 'ada@example.com' });
    const userEnv = { ...env, HERALD_SESSION_TOKEN: u.api.token };
    expect((await runCli(['notifications', 'custom', 'Hello', 'from ada'], { env: userEnv })).code).toBe(0);
    for (const ref of ['ada', 'ada@example.com', u.id]) {
      const r = await cli('notifications', 'messages', '--user', ref, '-o', 'json');
      expect({ ref, code: r.code, err: r.stderr }).toMatchObject({ ref, code: 0 });
      const rows = JSON.parse(r.stdout) as { user_id: string }[];
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((m) => m.user_id))).toEqual(new Set([u.id]));
    }
    const unknown = await cli('notifications', 'messages', '--user', 'nobody@example.com');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user with e-mail');
  });

  it('templates: push activates (--activate=false opts out), versions list|promote, edit, deprecate --message', async () => {
    expect((await cli('templates', 'create', 'tpl', '-f', path.join(dir, 'v1.json'), '--version-name', 'one')).code).toBe(0);
    const active = async () => {
      const t = JSON.parse((await cli('templates', 'list', '-o', 'json')).stdout).find((x: { name: string }) => x.name === 'tpl');
      const vs = JSON.parse((await cli('templates', 'versions', 'list', 'tpl', '-o', 'json')).stdout) as { id: string; name: string }[];
      return vs.find((v) => v.id === t.active_version_id)?.name;
    };
    const pushed = await cli('templates', 'push', 'tpl', '-f', path.join(dir, 'v2.json'), '--name', 'two');
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(await active()).toBe('two');
    const quiet = await cli('templates', 'push', 'tpl', '-f', path.join(dir, 'v3.json'), '--name', 'three', '--activate=false');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(await active()).toBe('two');
    expect((await cli('templates', 'versions', 'list', 'tpl')).stdout).toMatch(/^NAME\s+CREATED AT/);

    const promoted = await cli('templates', 'versions', 'promote', '--template', 'tpl', '--template-version', 'three');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(await active()).toBe('three');
    expect((await cli('templates', 'versions', 'promote', '-t', 'tpl', '--template-version', 'nine')).stderr).toContain('no version "nine"');

    const edited = await cli('templates', 'edit', 'tpl', '--display-name', 'The template', '--description', 'For tests', '-o', 'json');
    expect(edited.code, edited.stderr).toBe(0);
    expect(JSON.parse(edited.stdout)[0]).toMatchObject({ display_name: 'The template', description: 'For tests' });

    const dep = await cli('templates', 'deprecate', 'tpl', '--message', 'Use tpl2');
    expect(dep.code, dep.stderr).toBe(0);
    const t = JSON.parse((await cli('templates', 'list', '-o', 'json')).stdout).find((x: { name: string }) => x.name === 'tpl');
    expect(t).toMatchObject({ deprecated: true, deprecation_message: 'Use tpl2' });
    expect((await cli('templates', 'deprecate', 'tpl', '--message', '')).stdout).toContain('no longer deprecated');
  });

  it('create streams the build, show lists agents and apps, the agent token reports an app status, delete asks', async () => {
    expect((await cli('templates', 'create', 'ai', '-f', path.join(dir, 'v1.json'))).code).toBe(0);
    const created = await cli('create', 'box', '-t', 'ai');
    expect(created.code, created.stderr).toBe(0);
    // Stages and their log lines as the build runs, then the outcome.
    expect(created.stderr).toContain('==> Pulling image');
    expect(created.stderr).toContain('pulling ubuntu:24.04');
    expect(created.stderr).toMatch(/==> Build #1 \(start\) finished: running/);
    expect(created.stdout).toMatch(/^WORKSPACE\s+TEMPLATE\s+STATUS/);

    const token = await cli('agent', 'token', 'box');
    expect(token.code, token.stderr).toBe(0);
    const agentEnv = { ...env, HERALD_SESSION_TOKEN: '', HERALD_AGENT_TOKEN: token.stdout.trim() };
    const reported = await runCli(['agent', 'report-status', 'working', 'Fixing the login bug', '--app', 'code', '--uri', 'https://example.com/pr/1'], { env: agentEnv });
    expect(reported.code, reported.stderr).toBe(0);

    const shown = await cli('show', 'box');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/docker_container\.dev\s+main\s+\S+\s+code\s+working: Fixing the login bug \(https:\/\/example\.com\/pr\/1\)/);
    const [json] = JSON.parse((await cli('show', 'box', '-o', 'json')).stdout);
    expect(json.latest_build.resources[0].agents[0].apps[0].statuses[0]).toMatchObject({ state: 'working', message: 'Fixing the login bug' });

    // Rotating again ends the previous token.
    expect((await cli('agent', 'token', 'box', '--agent', 'main')).code).toBe(0);
    const stale = await runCli(['agent', 'report-status', 'idle', 'done', '--app', 'code'], { env: agentEnv });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('[401]');
    expect((await cli('agent', 'token', 'box', '--agent', 'nope')).stderr).toContain('no agent "nope"');
    // Only the owner of the workspace gets its token, not even a deployment owner for someone else's.
    const bob = await createUser(owner, [], { username: 'bob', email: 'bob@example.com' });
    const bobEnv = { ...env, HERALD_SESSION_TOKEN: bob.api.token };
    expect((await runCli(['create', 'mine', '-t', 'ai'], { env: bobEnv })).code).toBe(0);
    const notOwner = await cli('agent', 'token', 'bob/mine');
    expect(notOwner.code).toBe(1);
    expect(notOwner.stderr).toContain('[403]');

    const refused = await cli('delete', 'box');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Delete workspace');
    expect(JSON.parse((await cli('list', '-o', 'json')).stdout).map((w: { name: string }) => w.name)).toContain('box');
    const deleted = await cli('delete', 'box', '-y');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toMatch(/==> Build #2 \(delete\) finished/);
  });

  it('users delete asks for confirmation', async () => {
    await createUser(owner, [], { username: 'carol', email: 'carol@example.com' });
    const refused = await cli('users', 'delete', 'carol');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--yes');
    expect((await cli('users', 'show', 'carol')).code).toBe(0);
    expect((await cli('users', 'delete', 'carol', '-y')).stderr).toContain('User carol has been deleted.');
  });

  it('prints bash, zsh and fish completion that completes commands, subcommands and choices', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await cli('completion', shell);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('herald __complete');
    }
    expect((await cli('completion', 'tcsh')).code).toBe(1);
    const words = async (...w: string[]) => (await cli('__complete', '--', ...w)).stdout.trim().split('\n');
    expect(await words('templates', 'ver')).toEqual(['versions']);
    expect(await words('templates', 'versions', '')).toEqual(['list', 'promote']);
    expect(await words('list', '-o', '')).toEqual(['table', 'json']);
    expect(await words('tokens', 'create', '--li')).toEqual(['--lifetime']);
    expect(await words('')).not.toContain('__complete');

    // The bash script itself, driven as bash drives it.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bin-'));
    fs.writeFileSync(path.join(bin, 'herald'), `#!/bin/sh\nexec "${process.execPath}" "${HERALD_BIN}" "$@"\n`, { mode: 0o755 });
    const script = (await cli('completion', 'bash')).stdout;
    const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(herald templates versions pr); COMP_CWORD=3; _herald; echo "\${COMPREPLY[@]}"`], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    fs.rmSync(bin, { recursive: true, force: true });
    expect(r.stdout.trim()).toBe('promote');
  });
});

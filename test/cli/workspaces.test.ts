import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOwner, startTestServer, type TestServer } from '../support/server.js';
import { runCli } from '../support/process.js';

// The CLI is an HTTP client: one engine is enough here.
describe('herald templates and workspaces (CLI, end to end)', { timeout: 120_000 }, () => {
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const cli = (...args: string[]) => runCli(args, { env });

  beforeAll(async () => {
    server = await startTestServer('pglite');
    const { api } = await setupOwner(server.api);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-ws-'));
    env = { HERALD_URL: server.url, HERALD_SESSION_TOKEN: api.token, HERALD_CONFIG_DIR: dir };
    fs.writeFileSync(
      path.join(dir, 'v1.json'),
      JSON.stringify({
        definition: { provisioner: 'builtin', resources: [{ name: 'dev', type: 'docker_container', agents: [{ name: 'main', apps: [{ slug: 'code' }] }] }] },
        parameters: [{ name: 'size', type: 'string', default_value: 'small', mutable: true }],
      }),
    );
    fs.writeFileSync(path.join(dir, 'v2.json'), JSON.stringify({ definition: { provisioner: 'builtin', resources: [] } }));
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a template, pushes a version, builds a workspace and manages its lifecycle', async () => {
    const created = await cli('templates', 'create', 'docker', '-f', path.join(dir, 'v1.json'), '-m', 'first');
    expect(created.code, created.stderr).toBe(0);
    const list = await cli('templates', 'list', '-o', 'json');
    expect(JSON.parse(list.stdout).map((t: { name: string }) => t.name)).toEqual(['docker']);

    const ws = await cli('create', 'dev', '-t', 'docker', '--parameter', 'size=large');
    expect(ws.code, ws.stderr).toBe(0);
    const listed = JSON.parse((await cli('list', '-o', 'json')).stdout);
    expect(listed).toHaveLength(1);
    expect(listed[0].name).toBe('dev');
    expect(listed[0].latest_build.transition).toBe('start');

    const pushed = await cli('templates', 'push', 'docker', '-f', path.join(dir, 'v2.json'));
    expect(pushed.code, pushed.stderr).toBe(0);
    const versions = JSON.parse((await cli('templates', 'versions', 'list', 'docker', '-o', 'json')).stdout);
    expect(versions).toHaveLength(2);

    for (const cmd of ['stop', 'start', 'update']) {
      const r = await cli(cmd, 'dev');
      expect({ cmd, code: r.code, err: r.stderr }).toMatchObject({ cmd, code: 0 });
    }
    const after = JSON.parse((await cli('list', '-o', 'json')).stdout)[0];
    expect(after.latest_build.build_number).toBe(4);

    const bad = await cli('create', 'other', '-t', 'docker', '--parameter', 'nope=1');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect((await cli('create', 'x', '-t', 'missing')).code).toBe(1);

    const del = await cli('delete', 'dev', '--yes');
    expect(del.code, del.stderr).toBe(0);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, runCli } from '../support/process.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { reconcilerOf, PREBUILDS_CONFIG, settle } from '../platform/prebuild-helpers.js';
import { createTemplate, pushVersion } from '../platform/helpers.js';

// The CLI is an HTTP client: one engine is enough here.
describe('herald templates presets (CLI, end to end)', () => {
  let server: TestServer;
  let admin: { api: ApiHelper };
  let configDir: string;

  const run = (args: string[]) =>
    runCli(args, { inheritEnv: false, env: { HERALD_URL: server.url, HERALD_SESSION_TOKEN: admin.api.token!, HERALD_CONFIG_DIR: configDir } });

  beforeAll(async () => {
    ensureCliBuilt(['cli/commands/templates.ts']);
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cli-'));
    server = await startTestServer('pglite', { config: PREBUILDS_CONFIG });
    const owner = (await setupOwner(server.api)).api;
    admin = await createUser(owner, ['template-admin']);
  });
  afterAll(async () => {
    await server?.stop();
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('lists presets with desired instances and prebuild status', async () => {
    const { templateId } = await createTemplate(admin.api, 'cli-pb', {
      name: 'v1',
      definition: { resources: [], error: 'boom', fail_on: ['start'] },
      parameters: [{ name: 'size', default_value: 's', mutable: true }],
      presets: [{ name: 'large', desired_instances: 1, parameters: [{ name: 'size', value: 'l' }] }, { name: 'plain', default: true }],
    });
    for (let i = 0; i < 4; i++) {
      await reconcilerOf(server).runOnce();
      await settle(server);
    }
    const table = await run(['templates', 'presets', 'cli-pb']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+NAME\s+DESIRED INSTANCES\s+PREBUILD STATUS\s+DEFAULT\s+PARAMETERS$/);
    expect(lines[1]).toMatch(/large\s+1\s+hard_limited\s+size=l$/);
    expect(lines[2]).toMatch(/plain\s+healthy\s+yes$/);
    await pushVersion(admin.api, templateId, { name: 'v2', presets: [{ name: 'next', desired_instances: 2 }] });
    const json = await run(['templates', 'presets', 'cli-pb', '--template-version', 'v2', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ Name: 'next', DesiredPrebuildInstances: 2, prebuild_status: 'healthy' })]);
    const missing = await run(['templates', 'presets', 'cli-pb', '--template-version', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  });
});

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HERALD_BIN, ensureCliBuilt, spawnServer } from '../support/process.js';

const ROOT = path.resolve(path.dirname(HERALD_BIN), '..');

// bin/herald.js runs the bundle of `npm run build` (scripts/bundle.mjs, docs/performance.md 24.5c).
describe('the bundled CLI and server', { timeout: 120_000 }, () => {
  // A bundle of the current compiled modules in a folder of this test's own, beside dist/bundle
  // (two levels below the root, as the bundle's own paths need).
  const dir = path.join(ROOT, 'dist', `bundle-test-${process.pid}`);
  const bundled = path.join(dir, 'herald.js');
  let data: string;

  beforeAll(() => {
    ensureCliBuilt(['cli/program.ts', 'server/server.ts']);
    const r = spawnSync(process.execPath, ['scripts/bundle.mjs', dir], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    data = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bundle-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (data) fs.rmSync(data, { recursive: true, force: true });
  });

  it('prints the same help as the compiled modules, from a handful of files', () => {
    const help = (entry: string, ...args: string[]) => spawnSync(process.execPath, [entry, ...args], { cwd: ROOT, encoding: 'utf8' });
    for (const args of [['--help'], ['server', '--help'], ['notifications', '--help']]) {
      const a = help(bundled, ...args);
      expect(a.status).toBe(0);
      expect(a.stdout).toBe(help(path.join(ROOT, 'dist/cli/main.js'), ...args).stdout);
    }
    // Packages are inside it, but for the embedded engine (which loads its WebAssembly beside it).
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeLessThan(60);
    const text = files.map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
    expect(text).toContain('node_modules/fastify/');
    expect(text).not.toMatch(/^\/\/ node_modules\/@electric-sql\/pglite\//m);
  });

  it('serves the API, the OpenAPI document, the dashboard and the docs on a fresh embedded database', async () => {
    // Run from another folder: what it finds, it finds from its own location.
    const server = await spawnServer(['--data-dir', data], {}, 60_000, { entry: bundled, cwd: os.tmpdir() });
    const url = server.url;
    try {
      expect(await (await fetch(`${url}/healthz`)).text()).toBe('OK');
      // The migrations and the seed rows (the first user flow), found from the bundle's own location.
      const first = await (await fetch(`${url}/api/v2/users/first`)).json();
      expect(first).toMatchObject({ message: expect.any(String) });
      const spec = (await (await fetch(`${url}/api/v2/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(spec.paths)).toContain('/api/v2/notifications/inbox');
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      // Markdown rendering loads its package on first use (src/lib/lazy-module.ts), from node_modules.
      const docs = await fetch(`${url}/docs/architecture`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toMatch(/<h1[^>]*>Architecture/);
    } finally {
      await server.stop();
    }
    expect(server.output()).not.toMatch(/error|warn/i);
  });
});

describe('bin/herald.js', { timeout: 60_000 }, () => {
  // A copy of bin/herald.js in a tree whose two entries say which one ran.
  let root: string;
  const entry = (rel: string) => path.join(root, rel);
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-bin-'));
    fs.mkdirSync(entry('bin'));
    fs.copyFileSync(HERALD_BIN, entry('bin/herald.js'));
    fs.writeFileSync(entry('package.json'), '{"type":"module"}');
    for (const [rel, says] of [['dist/bundle/herald.js', 'bundle'], ['dist/cli/main.js', 'modules']]) {
      fs.mkdirSync(path.dirname(entry(rel)), { recursive: true });
      fs.writeFileSync(entry(rel), `console.log(${JSON.stringify(says)});`);
    }
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const ran = () => spawnSync(process.execPath, [entry('bin/herald.js')], { encoding: 'utf8' }).stdout.trim();
  const age = (rel: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    fs.utimesSync(entry(rel), t, t);
  };

  it('runs the bundle when it is at least as new as the compiled modules, else the modules', () => {
    age('dist/cli/main.js', 60);
    age('dist/bundle/herald.js', 30);
    expect(ran()).toBe('bundle');
    // A bare `tsc` after the last build: the bundle is stale.
    age('dist/cli/main.js', 10);
    expect(ran()).toBe('modules');
    fs.rmSync(entry('dist/bundle'), { recursive: true });
    expect(ran()).toBe('modules');
  });
});

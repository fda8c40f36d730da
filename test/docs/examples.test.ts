import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { setupOwner, startTestServer } from '../support/server.js';
import { HERALD_BIN } from '../support/process.js';
import { DOCS, docFiles, markedBlocks } from './support.js';

// The docs' examples work as pasted: each doc's marked blocks run in order, in one folder, against a fresh
// deployment where an owner is logged in, with `herald` on PATH (see test/docs/support.ts for the marks).
const docs = docFiles()
  .map((rel) => ({ rel, blocks: markedBlocks(fs.readFileSync(path.join(DOCS, rel), 'utf8')) }))
  .filter((d) => d.blocks.length);

function run(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('runnable documentation examples', { timeout: 240_000 }, () => {
  it('marks examples in the docs that need them', () => {
    expect(docs.map((d) => d.rel)).toEqual(expect.arrayContaining(['admin/templates.md', 'admin/notifications.md', 'tasks.md']));
  });

  it.each(docs)('$rel: every marked example runs as written', async ({ blocks }) => {
    const server = await startTestServer('pglite');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-doc-'));
    try {
      const { api } = await setupOwner(server.api);
      const bin = path.join(dir, '.bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, 'herald'), `#!/bin/sh\nexec "${process.execPath}" "${HERALD_BIN}" "$@"\n`, { mode: 0o755 });
      const env = {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        HERALD_URL: server.url,
        HERALD_SESSION_TOKEN: api.token,
        HERALD_CONFIG_DIR: path.join(dir, '.config'),
      };
      for (const b of blocks) {
        if (b.file) {
          if (b.lang === 'json') expect(() => JSON.parse(b.content), `line ${b.line}: ${b.file} is JSON`).not.toThrow();
          fs.writeFileSync(path.join(dir, b.file), b.content);
        }
        if (b.runnable) {
          // Asynchronously: the server answers from this process.
          const r = await run(b.content, dir, env);
          expect({ line: b.line, code: r.code, output: r.output }).toEqual({ line: b.line, code: 0, output: expect.any(String) });
        }
      }
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

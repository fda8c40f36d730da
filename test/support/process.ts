import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERALD_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/herald.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** SIGTERM and wait for exit; resolves the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `herald server` as a real process and waits until it says where it listens. `entry`: another
 * entry point than bin/herald.js (a bundle); `cwd`: the process's working directory.
 */
export async function spawnServer(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 90_000,
  o: { entry?: string; cwd?: string } = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [o.entry ?? HERALD_BIN, 'server', '--http-address', '127.0.0.1:0', ...args], {
    cwd: o.cwd,
    env: { ...process.env, HERALD_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stderr!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * The CLI runs from dist/ (npm test builds it first). A test file run on its own rebuilds when the
 * given sources are newer than their output.
 */
export function ensureCliBuilt(sources: string[]): void {
  const root = path.resolve(path.dirname(HERALD_BIN), '..');
  const stale = ['cli/main.ts', 'cli/support/client.ts', 'cli/support/output.ts', ...sources].some((f) => {
    const out = path.join(root, 'dist', f.replace(/\.ts$/, '.js'));
    return !fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(path.join(root, 'src', f)).mtimeMs;
  });
  if (stale) spawnSync('npx', ['tsc', '-p', '.'], { cwd: root, stdio: 'inherit' });
}

/** Runs the CLI to completion; `inheritEnv: false` gives it only the variables passed. */
export async function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; inheritEnv?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = opts.inheritEnv === false ? { PATH: process.env.PATH, ...opts.env } : { ...process.env, ...opts.env };
  const child = spawn(process.execPath, [HERALD_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(opts.input ?? '');
  // 'close', not 'exit': the process can exit before its output has been read from the pipes.
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

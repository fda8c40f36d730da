import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Where `herald login` keeps the deployment URL and session token.
export function configDir(): string {
  if (process.env.HERALD_CONFIG_DIR) return process.env.HERALD_CONFIG_DIR;
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'herald');
}

export interface StoredSession {
  url: string;
  token: string;
}

export function readSession(): StoredSession | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(configDir(), 'session.json'), 'utf8'));
    if (typeof s.url === 'string' && typeof s.token === 'string') return s;
  } catch {
    // no session yet
  }
  return undefined;
}

export function writeSession(s: StoredSession): void {
  const dir = configDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dir, 'session.json'), JSON.stringify(s), { mode: 0o600 });
}

export function clearSession(): void {
  fs.rmSync(path.join(configDir(), 'session.json'), { force: true });
}

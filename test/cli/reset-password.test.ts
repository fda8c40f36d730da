import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { ApiHelper, OWNER, setupOwner, testConfig } from '../support/server.js';
import { silentLogger } from '../../src/lib/logger.js';
import { startServer } from '../../src/server/server.js';
import { resetPasswordCommand, type ResetPasswordIO } from '../../src/cli/commands/reset-password.js';
import { CliError } from '../../src/cli/support/client.js';

const OLD_PASSWORD = OWNER.password;
const NEW_PASSWORD = 'Fresh-Offl1ne-Reset#42';

describeEachEngine('herald reset-password', (engine) => {
  let dir: string; // PGlite data directory
  let pgdb: TestDatabase | undefined; // PostgreSQL database
  let dbFlags: string[];
  let dbEnv: Record<string, string>;
  let user: { id: string; username: string; email: string; token: string };

  /** A real server (it opens and closes the database itself, as `herald server` does). */
  const serve = () =>
    startServer({ config: testConfig({ dataDir: dir, pgConnectionUrl: pgdb?.url ?? '' }), log: silentLogger() });

  async function run(args: string[], io: Partial<ResetPasswordIO> = {}): Promise<string> {
    let out = '';
    const stderr = new Writable({
      write(chunk, _enc, cb) {
        out += String(chunk);
        cb();
      },
    });
    const cmd = resetPasswordCommand({ env: {}, stderr, ...io }).exitOverride();
    await cmd.parseAsync(args, { from: 'user' });
    return out;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-reset-'));
    if (engine === 'postgres') pgdb = await freshDatabase('postgres');
    dbFlags = engine === 'postgres' ? ['--pg-connection-url', pgdb!.url!] : ['--data-dir', dir];
    dbEnv = engine === 'postgres' ? { HERALD_PG_CONNECTION_URL: pgdb!.url! } : { HERALD_DATA_DIR: dir };
    const server = await serve();
    try {
      const api = new ApiHelper(server.url);
      // The owner (first user) is the admin locked out of e-mail.
      const owner = await setupOwner(api);
      user = { id: owner.userId, username: OWNER.username, email: OWNER.email, token: owner.api.token! };
    } finally {
      await server.stop();
    }
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await pgdb?.drop();
  });

  it('refuses weak, mismatched and missing input and unknown users without changing anything', async () => {
    await expect(run([user.username, '--password-stdin', ...dbFlags], { stdin: Readable.from(['password\n']) })).rejects.toThrow(
      /^Invalid password: /,
    );
    const answers = ['Diff3rent-Secret-Passw0rd!', 'Diff3rent-Secret-Passw0rd?'];
    await expect(run([user.username, ...dbFlags], { ask: async () => answers.shift()! })).rejects.toThrow('Passwords do not match.');
    await expect(run(['no-such-user', '--password-stdin', ...dbFlags], { stdin: Readable.from([`${NEW_PASSWORD}\n`]) })).rejects.toBeInstanceOf(
      CliError,
    );
    await expect(run(['prebuilds', '--password-stdin'], { stdin: Readable.from([`${NEW_PASSWORD}\n`]), env: dbEnv })).rejects.toThrow(
      /system user/,
    );
  });

  it('sets the new password offline and revokes every session; the server then accepts only the new password', async () => {
    // Settings come from the environment, as for `herald server`.
    const out = await run([user.username, '--password-stdin'], { stdin: Readable.from([`${NEW_PASSWORD}\n`]), env: dbEnv });
    expect(out).toContain(`Password for user "${user.username}" has been reset; 1 session(s) and token(s) revoked.`);
    expect(out).not.toContain(NEW_PASSWORD);

    const server = await serve();
    try {
      const api = new ApiHelper(server.url);
      expect((await api.as(user.token).get('/users/me')).status).toBe(401);
      expect((await api.post('/users/login', { email: user.email, password: OLD_PASSWORD })).status).toBe(401);
      const login = await api.post('/users/login', { email: user.email, password: NEW_PASSWORD });
      expect(login.status).toBe(201);
      expect((await api.as(login.body.session_token).get('/users/me')).body.id).toBe(user.id);
    } finally {
      await server.stop();
    }

    // Prompting twice works too (and the flag picks the database).
    const answers = ['An0ther-Fresh-Passw0rd!', 'An0ther-Fresh-Passw0rd!'];
    const prompted = await run([user.username, ...dbFlags], { ask: async () => answers.shift()! });
    expect(prompted).toContain('has been reset; 1 session(s)');
  });
});

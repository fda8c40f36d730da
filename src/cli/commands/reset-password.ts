import { Command, Option } from 'commander';
import { CliError } from '../support/client.js';
import { prompt } from '../support/prompt.js';
import { resolveConfig } from '../../server/config.js';
import { validatePassword } from '../../auth/passwords.js';

/** Where the command reads and writes; tests pass their own. */
export interface ResetPasswordIO {
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  ask: (question: string) => Promise<string>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `herald reset-password <username>`: sets a user's password directly in the database (no server
 * needed), for an admin locked out of e-mail. Every session and token of the user is revoked.
 */
export function resetPasswordCommand(io: Partial<ResetPasswordIO> = {}): Command {
  const stdin = io.stdin ?? process.stdin;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const ask = io.ask ?? ((q: string) => prompt(q, { secret: true }));
  return new Command('reset-password')
    .description(
      "Reset a user's password directly in the database and revoke their sessions. Uses the same database " +
        'settings as `herald server`; stop a server that uses the embedded database (--data-dir) first.',
    )
    .argument('<username>', 'the user whose password to reset')
    .addOption(new Option('--config <file>', 'YAML configuration file, as for `herald server`').env('HERALD_CONFIG'))
    .option('--pg-connection-url <url>', 'PostgreSQL connection URL [env HERALD_PG_CONNECTION_URL]')
    .option('--data-dir <dir>', 'directory of the embedded database [env HERALD_DATA_DIR] (default: "./.herald")')
    .option('--password-stdin', 'read the new password from standard input instead of prompting')
    .action(async (username: string, o: { config?: string; pgConnectionUrl?: string; dataDir?: string; passwordStdin?: boolean }) => {
      const flags: Record<string, unknown> = {};
      if (o.pgConnectionUrl !== undefined) flags.pgConnectionUrl = o.pgConnectionUrl;
      if (o.dataDir !== undefined) flags.dataDir = o.dataDir;
      const config = resolveConfig({ flags, env, file: o.config ?? env.HERALD_CONFIG });

      let password: string;
      if (o.passwordStdin) {
        password = (await readAll(stdin)).replace(/\r?\n$/, '');
      } else {
        password = await ask(`Enter new password for ${username}: `);
        const again = await ask('Confirm new password: ');
        if (password !== again) throw new CliError('Passwords do not match.');
      }
      const problem = validatePassword(password);
      if (problem) throw new CliError(`Invalid password: ${problem}`);

      // The server's modules load only when the command runs: every `herald` start (even --help) builds
      // this command, and the whole server is ~1,000 modules (docs/performance.md, test suite and CI time).
      const [{ createLogger }, { openDatabase }, { migrate }, { hashPassword }, { deleteApiKeysByUser }, { getUserByUsername, updateUserHashedPassword }] = await Promise.all([
        import('../../lib/logger.js'),
        import('../../server/open-database.js'),
        import('../../db/migrate.js'),
        import('../../auth/passwords.js'),
        import('../../auth/sessions.js'),
        import('../../auth/users/queries.js'),
      ]);
      const db = await openDatabase(config, createLogger({ level: 'warn', destination: stderr }));
      try {
        await migrate(db);
        const user = await getUserByUsername(db, username);
        if (!user) throw new CliError(`User "${username}" not found.`);
        if (user.is_system) throw new CliError(`User "${username}" is a system user; its password cannot be set.`);
        if (user.login_type !== 'password') {
          throw new CliError(`User "${username}" does not log in with a password (login type "${user.login_type}").`);
        }
        const hashed = await hashPassword(password);
        const revoked = await db.tx(async (t) => {
          await updateUserHashedPassword(t, user.id, hashed);
          return deleteApiKeysByUser(t, user.id);
        });
        stderr.write(`Password for user "${user.username}" has been reset; ${revoked} session(s) and token(s) revoked.\n`);
      } finally {
        await db.close();
      }
    });
}

import { Command } from 'commander';
import { ApiClient, ApiError, CliError } from '../support/client.js';
import { prompt } from '../support/prompt.js';
import { outputOption, printRows } from '../support/output.js';
import { clearSession, readSession, writeSession } from '../support/session.js';

export function loginCommand(): Command {
  return new Command('login')
    .description('Log in to a Herald deployment; sets up the first user when the deployment is new.')
    .argument('[url]', 'deployment URL (default: the last one used, or http://127.0.0.1:3000)')
    .option('--email <email>', 'e-mail address (prompted when omitted)')
    .option('--password <password>', 'password (prompted when omitted; or set HERALD_PASSWORD)')
    .option('--username <username>', 'username for the first user (new deployments only)')
    .option('--name <name>', 'full name for the first user (new deployments only)')
    .action(async (urlArg: string | undefined, o: { email?: string; password?: string; username?: string; name?: string }) => {
      const url = (urlArg ?? readSession()?.url ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
      try {
        new URL(url);
      } catch {
        throw new CliError(`"${url}" is not a URL`);
      }
      const client = new ApiClient(url);
      await checkHerald(client, url);
      let isNew = false;
      try {
        await client.call('GET /users/first');
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) isNew = true;
        else throw err;
      }
      const email = o.email ?? (await prompt('Email: '));
      const password = o.password ?? process.env.HERALD_PASSWORD ?? (await prompt('Password: ', { secret: true }));
      if (isNew) {
        process.stderr.write('This deployment has no users yet: creating the first user (owner).\n');
        const username = o.username ?? (await prompt('Username: '));
        await client.call('POST /users/first', { body: { email, username, name: o.name ?? '', password } });
      }
      const { session_token } = await client.call('POST /users/login', { body: { email, password } });
      const me = await new ApiClient(url, session_token).call('GET /users/me');
      writeSession({ url, token: session_token });
      process.stderr.write(`Welcome to Herald, ${me.username}! You are logged in to ${url}.\n`);
    });
}

/** A server that does not answer GET /api/v2/buildinfo as Herald (or the reference) does is something else. */
async function checkHerald(client: ApiClient, url: string): Promise<void> {
  let info: unknown;
  try {
    info = await client.call('GET /buildinfo');
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    throw new CliError(`${url} does not look like a Herald server (GET /api/v2/buildinfo answered ${err.status}); check the URL.`);
  }
  if (!info || typeof info !== 'object' || typeof (info as { version?: unknown }).version !== 'string') {
    throw new CliError(`${url} does not look like a Herald server (GET /api/v2/buildinfo is not Herald's answer); check the URL.`);
  }
}

export function whoamiCommand(): Command {
  return new Command('whoami')
    .description('Show who you are logged in as, and where.')
    .addOption(outputOption())
    .action(async (o: { output: string }) => {
      const api = ApiClient.fromSession();
      const me = await api.call('GET /users/me');
      if (o.output === 'json') printRows([{ url: api.url, ...me }], [], 'json');
      else process.stdout.write(`Herald is running at ${api.url}, and you're authenticated as ${me.username} (${me.email}; roles: ${me.roles.map((r) => r.name).join(', ') || 'member'}).\n`);
    });
}

export function logoutCommand(): Command {
  return new Command('logout').description('Log out and forget the stored session.').action(async () => {
    const s = readSession();
    if (!s) {
      process.stderr.write('You are not logged in.\n');
      return;
    }
    try {
      await new ApiClient(s.url, s.token).call('POST /users/logout');
    } catch (err) {
      // The local session goes either way; a dead server or expired key is no reason to keep it.
      if (!(err instanceof CliError)) throw err;
    }
    clearSession();
    process.stderr.write('You are no longer logged in.\n');
  });
}

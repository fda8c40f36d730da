import { Command } from 'commander';
import { ApiClient, ApiError, CliError } from '../support/client.js';
import { prompt } from '../support/prompt.js';
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

import { Command } from 'commander';
import { ApiClient, CliError } from '../support/client.js';
import { outputOption, printRows } from '../support/output.js';
import { confirm } from '../support/prompt.js';
import { parseDuration } from '../../lib/duration.js';

/** `herald tokens create|list|remove`: API tokens for scripts and CI (the reference's `coder tokens`). */
export function tokensCommand(): Command {
  const cmd = new Command('tokens').alias('token').description('Manage API tokens (for scripts and CI).');
  cmd
    .command('create')
    .description('Create an API token; it is printed once.')
    .option('-n, --name <name>', 'token name (letters, digits, - and _)')
    .option('--lifetime <duration>', 'how long it is valid, e.g. 24h or 720h (default: 30 days)')
    .option('-u, --user <user>', 'create it for another user (owners)', 'me')
    .addOption(outputOption())
    .action(async (o: { name?: string; lifetime?: string; user: string; output: string }) => {
      let lifetime: number | undefined;
      if (o.lifetime !== undefined) {
        let ms: number;
        try {
          ms = parseDuration(o.lifetime);
        } catch (err) {
          throw new CliError(`--lifetime: ${(err as Error).message}`);
        }
        lifetime = ms * 1e6; // nanoseconds, as the reference's Go duration
      }
      const r = await ApiClient.fromSession().call('POST /users/{user}/keys/tokens', {
        params: { user: o.user },
        body: { token_name: o.name, lifetime },
      });
      if (o.output === 'json') printRows([r], [], 'json');
      else process.stdout.write(`${r.key}\n`);
    });
  cmd
    .command('list')
    .alias('ls')
    .description('List API tokens (never their secrets).')
    .option('-u, --user <user>', "another user's tokens (owners)", 'me')
    .addOption(outputOption())
    .action(async (o: { user: string; output: string }) => {
      const rows = await ApiClient.fromSession().call('GET /users/{user}/keys/tokens', { params: { user: o.user } });
      printRows(rows, [
        ['id', (k) => k.id],
        ['name', (k) => k.token_name],
        ['last used', (k) => k.last_used],
        ['expires at', (k) => k.expires_at],
        ['created at', (k) => k.created_at],
      ], o.output);
    });
  cmd
    .command('remove')
    .aliases(['rm', 'delete'])
    .description('Remove (revoke) an API token by name or id.')
    .argument('<token>', 'token name or id')
    .option('-u, --user <user>', "another user's token (owners)", 'me')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (ref: string, o: { user: string; yes?: boolean }) => {
      const api = ApiClient.fromSession();
      const rows = await api.call('GET /users/{user}/keys/tokens', { params: { user: o.user } });
      const key = rows.find((k) => k.token_name === ref) ?? rows.find((k) => k.id === ref);
      if (!key) throw new CliError(`no token named "${ref}"`);
      await confirm(`Remove token ${key.token_name}?`, o.yes);
      await api.call('DELETE /users/{user}/keys/{keyid}', { params: { user: o.user, keyid: key.id } });
      process.stderr.write(`Token ${key.token_name} has been removed.\n`);
    });
  return cmd;
}

import { Command } from 'commander';
import { ApiClient } from '../support/client.js';
import { outputOption, printRows } from '../support/output.js';
import { confirm, prompt } from '../support/prompt.js';
import type { CreateUser, UserJson } from '../../contract/index.js';

type User = UserJson;

const COLUMNS: [string, (u: User) => unknown][] = [
  ['username', (u) => u.username],
  ['email', (u) => u.email],
  ['name', (u) => u.name],
  ['status', (u) => u.status],
  ['roles', (u) => u.roles.map((r) => r.name)],
  ['created at', (u) => u.created_at],
];

export function usersCommand(): Command {
  const cmd = new Command('users').alias('user').description('Manage users.');
  cmd
    .command('list')
    .alias('ls')
    .description('List users.')
    .option('-q, --search <query>', 'filter, e.g. "status:active role:owner alice"')
    .addOption(outputOption())
    .action(async (o: { search?: string; output: string }) => {
      const r = await ApiClient.fromSession().call('GET /users', { query: { q: o.search } });
      printRows(r.users, COLUMNS, o.output);
    });
  cmd
    .command('show')
    .description('Show one user.')
    .argument('<user>', 'username, id or "me"')
    .addOption(outputOption())
    .action(async (user: string, o: { output: string }) => {
      const u = await ApiClient.fromSession().call('GET /users/{user}', { params: { user } });
      printRows([u], [['id', (x) => x.id], ...COLUMNS], o.output);
    });
  cmd
    .command('create')
    .description('Create a user.')
    .requiredOption('-e, --email <email>', 'e-mail address')
    .requiredOption('-u, --username <username>', 'username')
    .option('-n, --full-name <name>', 'full name')
    .option('-p, --password <password>', 'password (prompted when omitted; or HERALD_NEW_USER_PASSWORD)')
    .option('--login-type <type>', 'password or none', 'password')
    .addOption(outputOption())
    .action(async (o: { email: string; username: string; fullName?: string; password?: string; loginType: string; output: string }) => {
      const password =
        o.loginType === 'none'
          ? undefined
          : (o.password ?? process.env.HERALD_NEW_USER_PASSWORD ?? (await prompt('Password: ', { secret: true })));
      const u = await ApiClient.fromSession().call('POST /users', {
        body: {
          email: o.email,
          username: o.username,
          name: o.fullName ?? '',
          password,
          // As typed: the server says which values it takes.
          login_type: o.loginType as CreateUser['login_type'],
        },
      });
      if (o.output === 'json') printRows([u], COLUMNS, 'json');
      else process.stderr.write(`User ${u.username} created.\n`);
    });
  for (const [action, done] of [
    ['suspend', 'suspended'],
    ['activate', 'activated'],
  ] as const) {
    cmd
      .command(action)
      .description(`${action === 'suspend' ? 'Suspend' : 'Activate'} a user.`)
      .argument('<user>', 'username or id')
      .action(async (user: string) => {
        const u = await ApiClient.fromSession().call(`PUT /users/{user}/status/${action}`, { params: { user } });
        process.stderr.write(`User ${u.username} has been ${done}.\n`);
      });
  }
  cmd
    .command('delete')
    .alias('rm')
    .description('Delete a user.')
    .argument('<user>', 'username or id')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (user: string, o: { yes?: boolean }) => {
      await confirm(`Delete user ${user}?`, o.yes);
      await ApiClient.fromSession().call('DELETE /users/{user}', { params: { user } });
      process.stderr.write(`User ${user} has been deleted.\n`);
    });
  return cmd;
}

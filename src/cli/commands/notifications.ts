import { Command, Option } from 'commander';
import { ApiClient, CliError, resolveUserId } from '../support/client.js';
import { outputOption, printRows } from '../support/output.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../notifications/templates/catalogue.js';
import { MESSAGE_STATUSES, NOTIFICATION_METHOD_NAMES, type DeliveryMessage, type MessagesQuery, type NotificationTemplate } from '../../contract/index.js';

type Template = NotificationTemplate;
type Message = DeliveryMessage;

const TEMPLATE_COLUMNS: [string, (t: Template) => unknown][] = [
  ['id', (t) => t.id],
  ['name', (t) => t.name],
  ['group', (t) => t.group],
  ['kind', (t) => t.kind],
  ['method', (t) => t.method || '(default)'],
  ['enabled by default', (t) => t.enabled_by_default],
];

const MESSAGE_COLUMNS: [string, (m: Message) => unknown][] = [
  ['id', (m) => m.id],
  ['template', (m) => m.template_name],
  ['user', (m) => m.username],
  ['method', (m) => m.method],
  ['status', (m) => m.status],
  ['attempts', (m) => m.attempt_count],
  ['created at', (m) => m.created_at],
  ['last error', (m) => (m.status === 'sent' ? '' : (m.status_reason ?? ''))],
];

/** Wraps an API failure in the reference's one-line message ("unable to …: <reason>"). */
async function wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new CliError(`${what}: ${(err as Error).message}`);
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('reading the message from standard input ("-"), but standard input is a terminal');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  // A trailing newline is how shells end output, not part of the message.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function notificationsCommand(): Command {
  const cmd = new Command('notifications')
    .alias('notification')
    .description('Manage Herald notifications')
    .addHelpText(
      'after',
      `
Administrators can use these commands to change notification settings.

Examples:
  Pause Herald notifications. Administrators can temporarily stop notifiers from
  dispatching messages in case of the target outage (for example: unavailable SMTP
  server or Webhook not responding):

    $ herald notifications pause

  Resume Herald notifications:

    $ herald notifications resume

  Send a test notification. Administrators can use this to verify the notification
  target settings:

    $ herald notifications test

  Send yourself a custom notification, for example when a long task ends:

    $ herald notifications custom "Build finished" "The nightly build passed."
    $ make test 2>&1 | tail -n 20 | herald notifications custom "Test results" -
`,
    );

  cmd
    .command('pause')
    .description('Pause notifications')
    .action(async () => {
      const client = ApiClient.fromSession();
      await wrap('unable to pause notifications', () => client.call('PUT /notifications/settings', { body: { notifier_paused: true } }));
      process.stderr.write('Notifications are now paused.\n');
    });

  cmd
    .command('resume')
    .description('Resume notifications')
    .action(async () => {
      const client = ApiClient.fromSession();
      await wrap('unable to resume notifications', () => client.call('PUT /notifications/settings', { body: { notifier_paused: false } }));
      process.stderr.write('Notifications are now resumed.\n');
    });

  cmd
    .command('test')
    .description('Send a test notification through every configured method, and show how each delivery went')
    .option('--timeout <seconds>', 'how long to wait for the deliveries (0: do not wait)', '15')
    .addOption(outputOption())
    .action(async (o: { timeout: string; output: string }) => {
      const client = ApiClient.fromSession();
      const timeout = Number(o.timeout);
      if (!Number.isFinite(timeout) || timeout < 0) throw new CliError('--timeout must be a number of seconds');
      const me = await wrap('unable to send test notification', () => client.call('GET /users/me'));
      const query: MessagesQuery = { template_id: TEMPLATE_TEST_NOTIFICATION, user_id: me.id, limit: 50 };
      const before = new Set((await wrap('unable to send test notification', () => client.call('GET /notifications/messages', { query }))).messages.map((m) => m.id));
      await wrap('unable to send test notification', () => client.call('POST /notifications/test'));
      process.stderr.write("A test notification has been sent. If you don't receive the notification, check Herald's logs for any errors.\n");
      if (timeout === 0) return;
      // One message per method; each settles as sent or failed (a paused notifier leaves them pending).
      const deadline = Date.now() + timeout * 1000;
      let mine: Message[] = [];
      for (;;) {
        const r = await wrap('unable to list notification messages', () => client.call('GET /notifications/messages', { query }));
        mine = r.messages.filter((m) => !before.has(m.id));
        if ((mine.length && mine.every((m) => !['pending', 'leased'].includes(m.status))) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      printRows(mine, [['method', (m) => m.method], ['status', (m) => m.status], ['attempts', (m) => m.attempt_count], ['last error', (m) => (m.status === 'sent' ? '' : (m.status_reason ?? ''))]], o.output);
      if (mine.some((m) => !['sent', 'pending', 'leased'].includes(m.status))) {
        throw new CliError("a delivery of the test notification failed: see its error above and Herald's logs");
      }
    });

  cmd
    .command('custom')
    .description('Send a custom notification')
    .argument('<title>', 'notification title')
    .argument('<message>', 'notification message; "-" reads it from standard input')
    .action(async (title: string, message: string) => {
      const client = ApiClient.fromSession();
      const body = message === '-' ? await readStdin() : message;
      await wrap('unable to post custom notification', () =>
        client.call('POST /notifications/custom', { body: { content: { title, message: body } } }),
      );
      process.stderr.write('A custom notification has been sent.\n');
    });

  cmd
    .command('templates')
    .description('List notification templates (system and custom) and their delivery methods')
    .addOption(outputOption())
    .action(async (o: { output: string }) => {
      const client = ApiClient.fromSession();
      const [system, custom] = await wrap('unable to list notification templates', () =>
        Promise.all([
          client.call('GET /notifications/templates/system'),
          client.call('GET /notifications/templates/custom'),
        ]),
      );
      printRows([...system, ...custom], TEMPLATE_COLUMNS, o.output);
    });

  cmd
    .command('messages')
    .description('Show the delivery history of notification messages (owners)')
    .addOption(
      new Option('--status <status>', 'only messages with this status').choices(MESSAGE_STATUSES),
    )
    .addOption(new Option('--method <method>', 'only this delivery method').choices(NOTIFICATION_METHOD_NAMES))
    .option('--template <id>', 'only this template id')
    .option('--user <user>', 'only messages to this user (username, e-mail or id)')
    .option('--limit <n>', 'at most this many (1-500)', '50')
    .addOption(outputOption())
    .action(async (o: { status?: MessagesQuery['status']; method?: MessagesQuery['method']; template?: string; user?: string; limit: string; output: string }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliError('--limit must be a whole number from 1 to 500');
      const client = ApiClient.fromSession();
      const userId = o.user ? await wrap('unable to list notification messages', () => resolveUserId(client, o.user!)) : undefined;
      const query: MessagesQuery = { limit, status: o.status, method: o.method, template_id: o.template, user_id: userId };
      const r = await wrap('unable to list notification messages', () => client.call('GET /notifications/messages', { query }));
      printRows(r.messages, MESSAGE_COLUMNS, o.output);
    });

  return cmd;
}

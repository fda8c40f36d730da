import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Command, Option } from 'commander';
import type { SMTPServer } from 'smtp-server';
import type WebSocket from 'ws';
import { ApiClient, ApiError, CliError } from '../support/client.js';
import { outputOption } from '../support/output.js';
import { parseDuration } from '../../lib/duration.js';
import { API_PREFIX, type DeploymentConfig } from '../../contract/index.js';

/**
 * `herald scaletest notifications`: the reference's `coder exp scaletest notifications` for Herald.
 * Creates users, opens one inbox watch per user, sends custom notifications as those users at a
 * fixed rate, receives them over the watch and over SMTP at a mock mail server in this process, and
 * reports delivery latency per channel. The users are deleted at the end, also on Ctrl-C.
 */

interface Opts {
  users: string;
  rate: string;
  duration: string;
  timeout: string;
  smtpListen: string;
  smtp: boolean;
  concurrency: string;
  cleanup: boolean;
  output: string;
}

type ChannelName = 'inbox' | 'smtp';

export interface ChannelReport {
  channel: ChannelName;
  expected: number;
  received: number;
  missed: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}

export interface ScaleTestReport {
  users: number;
  rate_per_second: number;
  duration_seconds: number;
  triggered: number;
  channels: ChannelReport[];
  errors: Record<string, number>;
  error_samples: string[];
  cleanup: { deleted: number; failed: number };
  interrupted: boolean;
  passed: boolean;
}

interface TestUser {
  id: string;
  username: string;
  email: string;
  token: string;
  client?: ApiClient;
  socket?: WebSocket;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function positive(name: string, text: string, integer: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new CliError(`--${name} must be a positive ${integer ? 'whole number' : 'number'}, got "${text}"`);
  }
  return n;
}

function duration(name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (err) {
    throw new CliError(`--${name}: ${(err as Error).message}`);
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m || Number(m[2]) > 65535) throw new CliError(`--smtp-listen must be host:port, got "${text}"`);
  return { host: m[1].replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) };
}

/** Calls the API, waiting out 429 answers (Retry-After) for up to a minute. */
async function withRetry<T>(fn: () => Promise<T>, signal: { aborted: boolean }): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 429 || Date.now() > deadline || signal.aborted) throw err;
      await sleep(1000);
    }
  }
}

/** Runs `fn` over items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function optionValue(cfg: DeploymentConfig, flag: string): unknown {
  return cfg.options.find((o) => o.flag === flag)?.value;
}

export function scaletestCommand(): Command {
  const cmd = new Command('scaletest').description('Run a scale test against a running deployment (owners).');
  cmd
    .command('notifications')
    .description('Measure notification delivery latency over the inbox WebSocket and SMTP, with users this test creates and deletes')
    .option('--users <n>', 'users to create; each one watches its inbox and receives notifications', '10')
    .option('--rate <per-second>', 'notifications sent per second, over all users', '5')
    .option('--duration <duration>', 'how long to send, e.g. 30s or 2m', '10s')
    .option('--timeout <duration>', 'how long to wait for the last messages after sending stops', '30s')
    .option('--smtp-listen <host:port>', 'address of the mock SMTP server this command starts; the deployment must send its e-mail there (--email-smarthost)', '127.0.0.1:2525')
    .option('--no-smtp', 'do not start the mock SMTP server nor expect e-mail (inbox only)')
    .option('--concurrency <n>', 'API requests in flight while creating and deleting users', '8')
    .option('--no-cleanup', 'keep the created users (default: delete them at the end, also on Ctrl-C)')
    .addOption(outputOption())
    .addOption(new Option('--seed <hex>').hideHelp())
    .addHelpText(
      'after',
      `
Every created user gets an API token and opens GET ${API_PREFIX}/notifications/inbox/watch. The test
then sends custom notifications (POST ${API_PREFIX}/notifications/custom) as those users, round
robin, at --rate per second for --duration, and records when each arrives over the watch
(channel "inbox") and at the mock SMTP server (channel "smtp"). Latency is measured from just
before the API call to the arrival, on this machine's clock.

The deployment must deliver e-mail to the mock SMTP server: start it with
  --notifications-method smtp --email-smarthost <the --smtp-listen address>
(reachable from the deployment), or pass --no-smtp to measure the inbox only. Each user sends
rate x 60 / users notifications per minute (fewer in a run shorter than a minute): keep that under the deployment's
--notifications-custom-rate-limit.

Exits 1 when any message is missed or any request failed, 130 when interrupted.

Examples:
  Create 100 users and send 20 notifications per second for one minute:

    $ herald scaletest notifications --users 100 --rate 20 --duration 1m

  The same against a deployment whose e-mail goes elsewhere, inbox only, as JSON:

    $ herald scaletest notifications --users 100 --rate 20 --duration 1m --no-smtp -o json
`,
    )
    .action(async (o: Opts & { seed?: string }) => {
      const report = await runNotificationsScaleTest(o);
      if (o.output === 'json') process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else process.stdout.write(formatReport(report));
      if (report.interrupted) process.exit(130);
      if (!report.passed) {
        const missed = report.channels.reduce((n, c) => n + c.missed, 0);
        const errors = Object.values(report.errors).reduce((n, c) => n + c, 0);
        throw new CliError(`scale test failed: ${missed} message(s) missed, ${errors} error(s)`);
      }
    });
  return cmd;
}

function formatReport(r: ScaleTestReport): string {
  const heads = ['CHANNEL', 'EXPECTED', 'RECEIVED', 'MISSED', 'P50 MS', 'P95 MS', 'P99 MS', 'MAX MS'];
  const rows = r.channels.map((c) => [c.channel, c.expected, c.received, c.missed, c.p50_ms, c.p95_ms, c.p99_ms, c.max_ms].map((v) => (v === null ? '-' : String(v))));
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cs: string[]) => cs.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const errors = Object.entries(r.errors).filter(([, n]) => n > 0);
  return [
    `Scale test: ${r.users} users, ${r.rate_per_second}/s for ${r.duration_seconds}s, ${r.triggered} notifications sent${r.interrupted ? ' (interrupted)' : ''}`,
    '',
    line(heads),
    ...rows.map(line),
    '',
    `Errors: ${errors.length ? errors.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'}`,
    ...r.error_samples.map((s) => `  ${s}`),
    `Cleanup: ${r.cleanup.deleted} users deleted${r.cleanup.failed ? `, ${r.cleanup.failed} failed` : ''}`,
    `Result: ${r.passed ? 'PASS' : 'FAIL'}`,
    '',
  ].join('\n');
}

export async function runNotificationsScaleTest(o: Opts & { seed?: string }): Promise<ScaleTestReport> {
  const userCount = positive('users', o.users, true);
  const rate = positive('rate', o.rate, false);
  const durationMs = duration('duration', o.duration);
  const timeoutMs = duration('timeout', o.timeout);
  const concurrency = positive('concurrency', o.concurrency, true);
  const listen = o.smtp ? parseListen(o.smtpListen) : undefined;
  const progress = (s: string) => process.stderr.write(s + '\n');

  const api = ApiClient.fromSession();
  const run = (o.seed ?? randomBytes(3).toString('hex')).toLowerCase();
  if (!/^[0-9a-f]{1,12}$/.test(run)) throw new CliError('--seed must be hexadecimal');
  const marker = new RegExp(`hst-${run}-(\\d+)\\b`, 'g');

  const errors: Record<string, number> = { create_user: 0, watch: 0, trigger: 0, smtp: 0, cleanup: 0 };
  const samples: string[] = [];
  const fail = (kind: string, err: unknown) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
    if (samples.length < 5) samples.push(`${kind}: ${(err as Error).message ?? String(err)}`.split('\n')[0]);
  };

  // What the deployment will do with the messages: warn when it cannot reach our SMTP server.
  const cfg = await api.call('GET /deployment/config').catch((err: unknown) => {
    throw new CliError(`unable to read the deployment configuration (the scale test needs an owner): ${(err as Error).message}`);
  });
  const n = cfg.config.notifications;
  if (!n.inbox.enabled) throw new CliError('the deployment has the inbox disabled (--notifications-inbox-enabled=false): nothing to watch');
  if (listen) {
    if (n.method !== 'smtp') progress(`warning: the deployment's notification method is "${n.method}", not smtp: e-mail will be missed (pass --no-smtp to measure the inbox only)`);
    else if (n.email.smarthost !== o.smtpListen) progress(`warning: the deployment sends e-mail to ${n.email.smarthost || '(no smarthost)'}, not to ${o.smtpListen}: e-mail will be missed unless that address reaches this machine`);
  }
  const customLimit = Number(optionValue(cfg, 'notifications-custom-rate-limit') ?? 0);
  // What one user sends in the busiest minute of the run (the limiter counts per minute).
  const perUserPerMinute = (rate * Math.min(durationMs / 1000, 60)) / userCount;
  if (customLimit > 0 && perUserPerMinute > customLimit) {
    throw new CliError(
      `each user would send ${Math.ceil(perUserPerMinute)} custom notifications in a minute, over the deployment's limit of ${customLimit} (--notifications-custom-rate-limit): use more --users or a lower --rate`,
    );
  }

  // Arrival times by sequence number, per channel.
  const sentAt = new Map<number, number>();
  const arrived: Record<ChannelName, Map<number, number>> = { inbox: new Map(), smtp: new Map() };
  const record = (channel: ChannelName, text: string, at: number) => {
    for (const m of text.matchAll(marker)) {
      const seq = Number(m[1]);
      if (!arrived[channel].has(seq)) arrived[channel].set(seq, at);
    }
  };

  let smtp: SMTPServer | undefined;
  // Loaded when a test runs, not at every `herald` start (this command is built for --help too).
  const { default: WebSocketClient } = await import('ws');
  if (listen) {
    const { SMTPServer } = await import('smtp-server');
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      banner: 'herald scaletest mock SMTP',
      size: 10 * 1024 * 1024,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const at = performance.now();
          // Quoted-printable soft line breaks may split the marker in a body; the subject has it whole.
          record('smtp', Buffer.concat(chunks).toString('latin1').replace(/=\r?\n/g, ''), at);
          callback();
        });
      },
    });
    smtp.on('error', (err) => fail('smtp', err));
    await new Promise<void>((resolve, reject) => {
      smtp!.server.once('error', (err: NodeJS.ErrnoException) => reject(new CliError(`--smtp-listen ${o.smtpListen}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)));
      smtp!.listen(listen.port, listen.host, () => resolve());
    });
    progress(`Mock SMTP server listening on ${listen.host}:${(smtp.server.address() as AddressInfo).port}`);
  }

  const users: TestUser[] = [];
  const stop = { aborted: false };
  let wake: () => void = () => undefined;
  const onSignal = () => {
    if (stop.aborted) return;
    stop.aborted = true;
    progress('Interrupted: stopping and cleaning up (press Ctrl-C again to quit at once)');
    process.once('SIGINT', () => process.exit(130));
    wake();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let triggered = 0;
  const cleanup = { deleted: 0, failed: 0 };
  try {
    // 1. Users, each with a token of its own.
    progress(`Creating ${userCount} users (run ${run})...`);
    const slots = Array.from({ length: userCount }, (_, i) => i);
    await pool(slots, concurrency, async (i) => {
      if (stop.aborted) return;
      const username = `scaletest-${run}-${i + 1}`;
      const email = `${username}@scaletest.example.com`;
      try {
        const u = await withRetry(() => api.call('POST /users', { body: { email, username, name: `Scale test ${i + 1}`, login_type: 'none' } }), stop);
        const user: TestUser = { id: u.id, username, email, token: '' };
        users.push(user);
        const t = await withRetry(() => api.call('POST /users/{user}/keys/tokens', { params: { user: u.id }, body: { token_name: `scaletest-${run}`, lifetime: 24 * 3600 * 1e9 } }), stop);
        user.token = t.key;
        user.client = new ApiClient(api.url, t.key);
      } catch (err) {
        fail('create_user', err);
      }
    });
    const ready = users.filter((u) => u.token);
    if (!stop.aborted) progress(`Created ${ready.length} users; opening ${ready.length} inbox watches...`);

    // 2. One watch per user.
    const wsBase = api.url.replace(/^http/, 'ws').replace(/\/$/, '') + `${API_PREFIX}/notifications/inbox/watch`;
    await pool(ready, Math.max(concurrency, 32), async (u) => {
      if (stop.aborted) return;
      await new Promise<void>((resolve) => {
        const socket = new WebSocketClient(wsBase, { headers: { 'Coder-Session-Token': u.token }, perMessageDeflate: false });
        let open = false;
        socket.on('open', () => {
          open = true;
          u.socket = socket;
          resolve();
        });
        socket.on('message', (data) => record('inbox', data.toString(), performance.now()));
        socket.on('error', (err) => {
          if (!open) resolve();
          fail('watch', err);
        });
        socket.on('close', (code, reason) => {
          if (!open) resolve();
          else if (u.socket === socket && !stop.aborted && code !== 1000) fail('watch', new Error(`watch of ${u.username} closed: ${code} ${reason.toString()}`));
          if (u.socket === socket) u.socket = undefined;
        });
      });
    });
    const watching = ready.filter((u) => u.socket);

    // 3. Send at the rate, round robin over the watching users; notification i is due at t0 + i/rate.
    const total = Math.floor((rate * durationMs) / 1000);
    if (!stop.aborted && watching.length) {
      progress(`Sending ${total} notifications at ${rate}/s for ${durationMs / 1000}s...`);
      const t0 = performance.now();
      let inFlight = 0;
      let lastReport = t0;
      const pending = new Set<Promise<void>>();
      for (let i = 0; i < total && !stop.aborted; i++) {
        const due = t0 + (i * 1000) / rate;
        let now = performance.now();
        if (due > now) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, due - now);
            wake = () => {
              clearTimeout(t);
              r();
            };
          });
          if (stop.aborted) break;
          now = performance.now();
        }
        while (inFlight >= 256 && !stop.aborted) await Promise.race(pending);
        const u = watching[i % watching.length];
        const seq = i + 1;
        sentAt.set(seq, performance.now());
        inFlight++;
        triggered++;
        const p = u.client!
          .call('POST /notifications/custom', { body: { content: { title: `Scale test hst-${run}-${seq}`, message: `Scale test message hst-${run}-${seq} for ${u.username}.` } } })
          .then(
            () => undefined,
            (err: unknown) => {
              sentAt.delete(seq);
              fail('trigger', err);
            },
          )
          .finally(() => {
            inFlight--;
            pending.delete(p);
          });
        pending.add(p);
        if (now - lastReport >= 1000) {
          lastReport = now;
          progress(progressLine(now - t0, triggered, total, sentAt.size, arrived, !!listen, errors));
        }
      }
      await Promise.all(pending);

      // 4. Wait for the stragglers.
      const deadline = performance.now() + timeoutMs;
      const complete = () => [...sentAt.keys()].every((s) => arrived.inbox.has(s) && (!listen || arrived.smtp.has(s)));
      let lastWait = 0;
      while (!stop.aborted && !complete() && performance.now() < deadline) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, 100);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        if (performance.now() - lastWait >= 1000) {
          lastWait = performance.now();
          progress(progressLine(lastWait - t0, triggered, total, sentAt.size, arrived, !!listen, errors) + ' (waiting)');
        }
      }
    }
  } finally {
    for (const u of users) {
      const s = u.socket;
      u.socket = undefined;
      s?.close(1000, 'scale test done');
    }
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    if (o.cleanup) {
      if (users.length) progress(`Deleting ${users.length} users...`);
      await pool(users, concurrency, async (u) => {
        try {
          await withRetry(() => api.call('DELETE /users/{user}', { params: { user: u.id } }), { aborted: false });
          cleanup.deleted++;
        } catch (err) {
          cleanup.failed++;
          fail('cleanup', err);
        }
      });
    } else if (users.length) {
      progress(`Kept ${users.length} users (scaletest-${run}-*).`);
    }
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  const channels: ChannelReport[] = (['inbox', ...(listen ? ['smtp'] : [])] as ChannelName[]).map((channel) => {
    const lat: number[] = [];
    for (const [seq, t] of sentAt) {
      const a = arrived[channel].get(seq);
      if (a !== undefined) lat.push(a - t);
    }
    lat.sort((a, b) => a - b);
    return {
      channel,
      expected: sentAt.size,
      received: lat.length,
      missed: sentAt.size - lat.length,
      p50_ms: round(percentile(lat, 50)),
      p95_ms: round(percentile(lat, 95)),
      p99_ms: round(percentile(lat, 99)),
      max_ms: round(lat.length ? lat[lat.length - 1] : null),
    };
  });
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    users: userCount,
    rate_per_second: rate,
    duration_seconds: durationMs / 1000,
    triggered,
    channels,
    errors,
    error_samples: samples,
    cleanup,
    interrupted: stop.aborted,
    passed: !stop.aborted && errorCount === 0 && channels.every((c) => c.missed === 0) && triggered > 0,
  };
}

function progressLine(
  elapsedMs: number,
  triggered: number,
  total: number,
  accepted: number,
  arrived: Record<ChannelName, Map<number, number>>,
  smtp: boolean,
  errors: Record<string, number>,
): string {
  const errs = Object.values(errors).reduce((a, b) => a + b, 0);
  return `[${(elapsedMs / 1000).toFixed(0)}s] sent ${triggered}/${total}, accepted ${accepted}, inbox ${arrived.inbox.size}${smtp ? `, smtp ${arrived.smtp.size}` : ''}, errors ${errs}`;
}

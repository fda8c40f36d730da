import fs from 'node:fs';
import { lazyModule } from '../lib/lazy-module.js';
import { OPTIONS, type OptionSpec } from './options.js';
import { parseDuration } from '../lib/duration.js';
import { parseList, trustedOriginList } from '../lib/client-address.js';

export type { Config, DescribedOption, EmailConfig, NotificationsConfig } from '../lib/config.js';
import type { Config, DescribedOption } from '../lib/config.js';

// Only a start with a configuration file reads YAML.
const yamlModule = lazyModule<typeof import('yaml')>('yaml');

export class ConfigError extends Error {}

function parseValue(spec: OptionSpec, raw: unknown, origin: string): unknown {
  const where = `${origin} (--${spec.flag})`;
  switch (spec.type) {
    case 'string':
      // A YAML list for the comma-separated options.
      if (Array.isArray(raw) && raw.every((x) => typeof x !== 'object')) return raw.join(',');
      if (typeof raw === 'object' && raw !== null) throw new ConfigError(`${where}: expected a string`);
      return String(raw ?? '');
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).toLowerCase();
      if (['true', '1', 'yes', 'on', ''].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
      throw new ConfigError(`${where}: "${raw}" is not a boolean`);
    }
    case 'int': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${where}: "${raw}" is not a whole number >= 0`);
      return n;
    }
    case 'duration':
      try {
        return typeof raw === 'number' ? raw * 1000 : parseDuration(String(raw));
      } catch (err) {
        throw new ConfigError(`${where}: ${(err as Error).message}`);
      }
  }
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) cur = (cur[k] ??= {}) as Record<string, unknown>;
  cur[keys[keys.length - 1]] = value;
}

export interface ConfigSources {
  /** Values given as flags, keyed by option path. */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** YAML file path (--config / HERALD_CONFIG). */
  file?: string;
}

/** Resolves every option with precedence flag > environment > YAML file > default, then validates. */
export function resolveConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? {};
  let yaml: unknown = {};
  if (sources.file) {
    let text: string;
    try {
      text = fs.readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${sources.file}: ${(err as Error).message}`);
    }
    try {
      yaml = yamlModule().parse(text) ?? {};
    } catch (err) {
      throw new ConfigError(`config file ${sources.file} is not valid YAML: ${(err as Error).message}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    let value: unknown = spec.default;
    let origin = 'default';
    const fromFile = getPath(yaml, spec.path);
    if (fromFile !== undefined && fromFile !== null) {
      value = fromFile;
      origin = `config file key ${spec.path}`;
    }
    if (env[spec.env] !== undefined) {
      value = env[spec.env];
      origin = `environment variable ${spec.env}`;
    }
    const flag = sources.flags?.[spec.path];
    if (flag !== undefined) {
      value = flag;
      origin = 'flag';
    }
    setPath(out, spec.path, parseValue(spec, value, origin));
  }
  const cfg = out as unknown as Config;
  validateConfig(cfg);
  return cfg;
}

function validateConfig(cfg: Config): void {
  if (!/^[^\s]*:\d+$/.test(cfg.httpAddress)) {
    throw new ConfigError(`--http-address "${cfg.httpAddress}" must be host:port`);
  }
  if (!cfg.accessUrl) {
    const [host, port] = splitHostPort(cfg.httpAddress);
    cfg.accessUrl = `http://${host === '0.0.0.0' || host === '' ? '127.0.0.1' : host}:${port}`;
  }
  try {
    const u = new URL(cfg.accessUrl);
    if (!['http:', 'https:'].includes(u.protocol)) throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`--access-url "${cfg.accessUrl}" must be an http(s) URL`);
  }
  cfg.accessUrl = cfg.accessUrl.replace(/\/+$/, '');
  try {
    trustedOriginList(parseList(cfg.proxy.trustedOrigins));
  } catch (err) {
    throw new ConfigError(`--proxy-trusted-origins: ${(err as Error).message}`);
  }
  for (const h of parseList(cfg.proxy.trustedHeaders)) {
    if (!/^[A-Za-z0-9-]+$/.test(h)) throw new ConfigError(`--proxy-trusted-headers: "${h}" is not a header name`);
  }
  const n = cfg.notifications;
  if (!['smtp', 'webhook', 'slack', 'teams', 'discord', 'webpush'].includes(n.method)) {
    throw new ConfigError(`--notifications-method: given default notification method "${n.method}" is invalid (smtp, webhook, slack, teams, discord or webpush)`);
  }
  if (n.dispatchTimeout >= n.leasePeriod) {
    throw new ConfigError('--notifications-dispatch-timeout: dispatch timeout must be less than lease period');
  }
  if (n.maxSendAttempts < 1) throw new ConfigError('--notifications-max-send-attempts must be at least 1');
  if (n.leaseCount < 1) throw new ConfigError('--notifications-lease-count must be at least 1');
  if (n.inbox.maxWatchersPerUser < 0) throw new ConfigError('--notifications-inbox-max-watchers-per-user must not be negative');
  if (n.storeSyncBufferSize < 1) throw new ConfigError('--notifications-store-sync-buffer-size must be at least 1');
  if (n.webhook.endpoint) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(n.webhook.endpoint).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(`--notifications-webhook-endpoint "${n.webhook.endpoint}" must be an http(s) URL`);
  }
  if (n.webhook.secret && !/^whsec_[A-Za-z0-9+/=]+$/.test(n.webhook.secret)) {
    throw new ConfigError('--notifications-webhook-secret must look like whsec_<base64>');
  }
  for (const [flag, url] of [
    ['notifications-slack-webhook-url', n.slack.webhookUrl],
    ['notifications-slack-api-url', n.slack.apiUrl],
    ['notifications-teams-webhook-url', n.teams.webhookUrl],
    ['notifications-discord-webhook-url', n.discord.webhookUrl],
  ] as const) {
    if (url && !isHttpUrl(url)) throw new ConfigError(`--${flag} must be an http(s) URL`);
  }
  const kinds = n.userDestinations.kinds.split(',').map((k) => k.trim()).filter(Boolean);
  const badKind = kinds.find((k) => !['slack', 'teams', 'discord', 'webhook', 'ntfy'].includes(k));
  if (badKind) throw new ConfigError(`--notifications-user-destinations: unknown kind "${badKind}" (slack, teams, discord, webhook, ntfy)`);
  const pw = cfg.email.auth.passwordFile;
  if (pw) {
    try {
      fs.accessSync(pw, fs.constants.R_OK);
    } catch {
      throw new ConfigError(`--email-auth-password-file: cannot read ${pw}`);
    }
  }
  if (cfg.email.smarthost && !/^[^\s]+:\d+$/.test(cfg.email.smarthost)) {
    throw new ConfigError(`--email-smarthost "${cfg.email.smarthost}" must be host:port`);
  }
}

function isHttpUrl(s: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}

export function splitHostPort(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i).replace(/^\[|\]$/g, ''), Number(addr.slice(i + 1))];
}

/** The effective configuration with secrets masked, as shown to owners and in logs. */
export function describeConfig(cfg: Config): DescribedOption[] {
  return OPTIONS.map((spec) => {
    const v = getPath(cfg, spec.path);
    return {
      option: `--${spec.flag}`,
      flag: spec.flag,
      env: spec.env,
      yaml: spec.path,
      type: spec.type,
      value: spec.secret && v ? '********' : v,
      default: String(spec.default),
      secret: !!spec.secret,
      group: spec.group,
      help: spec.help,
    };
  });
}

const NS_PER_MS = 1_000_000;

/**
 * The reference's DeploymentValues for what Herald has: the notification settings in its JSON
 * (durations as Go nanoseconds) plus the access URL and address. Secrets are masked.
 */
export function deploymentValues(cfg: Config): Record<string, unknown> {
  const n = cfg.notifications;
  const e = cfg.email;
  const mask = (v: string) => (v ? '********' : '');
  return {
    access_url: cfg.accessUrl,
    http_address: cfg.httpAddress,
    notifications: {
      method: n.method,
      dispatch_timeout: n.dispatchTimeout * NS_PER_MS,
      max_send_attempts: n.maxSendAttempts,
      retry_interval: n.retryInterval * NS_PER_MS,
      sync_interval: n.storeSyncInterval * NS_PER_MS,
      sync_buffer_size: n.storeSyncBufferSize,
      lease_period: n.leasePeriod * NS_PER_MS,
      lease_count: n.leaseCount,
      fetch_interval: n.fetchInterval * NS_PER_MS,
      email: {
        from: e.from,
        smarthost: e.smarthost,
        hello: e.hello,
        force_tls: e.forceTls,
        auth: { identity: e.auth.identity, username: e.auth.username, password: mask(e.auth.password), password_file: e.auth.passwordFile },
        tls: {
          start_tls: e.tls.startTls,
          server_name: e.tls.serverName,
          insecure_skip_verify: e.tls.insecureSkipVerify,
          ca_file: e.tls.caFile,
          cert_file: e.tls.certFile,
          key_file: e.tls.keyFile,
        },
      },
      webhook: { endpoint: n.webhook.endpoint },
      inbox: { enabled: n.inbox.enabled },
    },
  };
}

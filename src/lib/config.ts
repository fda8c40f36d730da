// The resolved configuration's shape (durations in milliseconds). Parsing and precedence live in
// src/server/config.ts; services take only the slice they need.

export interface EmailConfig {
  from: string;
  smarthost: string;
  hello: string;
  forceTls: boolean;
  auth: { identity: string; username: string; password: string; passwordFile: string };
  tls: {
    startTls: boolean;
    serverName: string;
    insecureSkipVerify: boolean;
    caFile: string;
    certFile: string;
    keyFile: string;
  };
}

export interface NotificationsConfig {
  /** Any delivery method but inbox (which is always on). */
  method: 'smtp' | 'webhook' | 'slack' | 'teams' | 'discord' | 'webpush';
  dispatchTimeout: number;
  maxSendAttempts: number;
  retryInterval: number;
  storeSyncInterval: number;
  storeSyncBufferSize: number;
  leasePeriod: number;
  leaseCount: number;
  fetchInterval: number;
  webhook: { endpoint: string; secret: string };
  /** Deployment destinations of the chat channels; empty: the channel is unavailable. */
  slack: { webhookUrl: string; botToken: string; channel: string; apiUrl: string };
  teams: { webhookUrl: string };
  discord: { webhookUrl: string };
  /** VAPID keys (base64url); empty: generated once and stored encrypted. */
  webpush: { vapidPublicKey: string; vapidPrivateKey: string; subject: string; allowInsecureEndpoints: boolean };
  /** Kinds users may add (comma-separated; empty: none), allowed hosts, and the SSRF test escape hatch. */
  userDestinations: { kinds: string; allowedHosts: string; allowPrivateAddresses: boolean };
  /** maxWatchersPerUser: open watch sockets per user on one replica (0: no cap). */
  inbox: { enabled: boolean; maxWatchersPerUser: number };
  customRateLimit: number;
  /** The e-mail logo when the appearance sets none ('' = Herald's PNG at <access URL>/icon/herald.png). */
  emailLogoUrl?: string;
}

/** Durations are milliseconds. */
export interface Config {
  httpAddress: string;
  accessUrl: string;
  pgConnectionUrl: string;
  dataDir: string;
  /** File holding the 32-byte key that encrypts stored secrets; empty: <dataDir>/secrets.key, generated. */
  secretsKeyFile: string;
  logLevel: string;
  apiRateLimit: number;
  /** Comma-separated lists (docs/install.md, behind a reverse proxy). */
  proxy: { trustedHeaders: string; trustedOrigins: string };
  auth: {
    disablePasswordAuth: boolean;
    loginRateLimit: number;
    sessionDuration: number;
    maxTokenLifetime: number;
    oneTimePasscodeValidity: number;
  };
  notifications: NotificationsConfig;
  email: EmailConfig;
  prebuilds: { reconciliationInterval: number; backoffInterval: number; failureHardLimit: number };
  provisioner: { jobTimeout: number };
  lifecycle: { tickInterval: number; reportInterval: number };
}

/** One option of the effective configuration, secrets already masked, durations in milliseconds. */
export interface DescribedOption {
  option: string;
  flag: string;
  env: string;
  yaml: string;
  type: string;
  value: unknown;
  default: string;
  secret: boolean;
  group: string;
  help: string;
}

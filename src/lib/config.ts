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
  method: 'smtp' | 'webhook';
  dispatchTimeout: number;
  maxSendAttempts: number;
  retryInterval: number;
  storeSyncInterval: number;
  storeSyncBufferSize: number;
  leasePeriod: number;
  leaseCount: number;
  fetchInterval: number;
  webhook: { endpoint: string; secret: string };
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

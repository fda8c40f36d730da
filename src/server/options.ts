// Every `herald server` option, declared once: the flag, the HERALD_* variable, the YAML key and
// the typed config field all come from this table.

export type OptionType = 'string' | 'bool' | 'int' | 'duration';

export interface OptionSpec {
  /** Dotted path in the config object and in the YAML file. */
  path: string;
  flag: string;
  env: string;
  type: OptionType;
  default: string | number | boolean;
  help: string;
  group: string;
  secret?: boolean;
}

function opt(
  path: string,
  flag: string,
  type: OptionType,
  def: string | number | boolean,
  group: string,
  help: string,
  secret = false,
): OptionSpec {
  const env = 'HERALD_' + flag.replace(/-/g, '_').toUpperCase();
  return { path, flag, env, type, default: def, help, group, secret };
}

export const OPTIONS: OptionSpec[] = [
  opt('httpAddress', 'http-address', 'string', '127.0.0.1:3000', 'Networking', 'HTTP bind address of the server (host:port).'),
  opt('accessUrl', 'access-url', 'string', '', 'Networking', 'The URL users reach the server at; the base_url of every link in notifications. Default: http://<http-address>.'),
  opt('pgConnectionUrl', 'pg-connection-url', 'string', '', 'Database', 'PostgreSQL connection URL. Empty: the embedded database in --data-dir.', true),
  opt('dataDir', 'data-dir', 'string', './.herald', 'Database', 'Directory for the embedded database and other state.'),
  opt('secretsKeyFile', 'secrets-key-file', 'string', '', 'Database', 'File with the key (32 bytes, raw, hex or base64) that encrypts stored secrets: bot tokens, destination secrets, the VAPID private key. Empty: <data-dir>/secrets.key, generated on first start. Every replica needs the same key.'),
  opt('logLevel', 'log-level', 'string', 'info', 'Logging', 'Log level: trace, debug, info, warn, error.'),
  opt('apiRateLimit', 'api-rate-limit', 'int', 512, 'Networking', 'Requests per minute on /api/v2 per authenticated user (anonymous requests: per client address), counted in the database across all replicas. 0 disables.'),
  opt('proxy.trustedHeaders', 'proxy-trusted-headers', 'string', '', 'Networking', 'Comma-separated headers that carry the client address from a trusted reverse proxy, e.g. X-Forwarded-For,X-Real-IP. Believed only from --proxy-trusted-origins.'),
  opt('proxy.trustedOrigins', 'proxy-trusted-origins', 'string', '', 'Networking', 'Comma-separated CIDRs (or addresses) of the reverse proxies whose --proxy-trusted-headers are believed, e.g. 127.0.0.1/32,10.0.0.0/8. Empty: headers are ignored and the connection address is the client.'),
  opt('auth.disablePasswordAuth', 'disable-password-auth', 'bool', false, 'Authentication', 'Refuse password login and password reset by one-time passcode.'),
  opt('auth.loginRateLimit', 'login-rate-limit', 'int', 60, 'Authentication', 'Login and password-reset requests per minute per client address, counted across all replicas; passcode e-mails are also capped at 3 per account per passcode validity. 0 disables.'),
  opt('auth.sessionDuration', 'session-duration', 'duration', '24h', 'Authentication', 'Lifetime of a session token from password login.'),
  opt('auth.maxTokenLifetime', 'max-token-lifetime', 'duration', '720h', 'Authentication', 'Longest lifetime an API token may be given.'),
  opt('auth.oneTimePasscodeValidity', 'one-time-passcode-validity', 'duration', '20m', 'Authentication', 'How long a password-reset passcode stays valid.'),

  opt('notifications.method', 'notifications-method', 'string', 'smtp', 'Notifications', "Default delivery method for notifications: 'smtp' or 'webhook'."),
  opt('notifications.dispatchTimeout', 'notifications-dispatch-timeout', 'duration', '1m', 'Notifications', 'How long one delivery attempt may take; must be less than the lease period.'),
  opt('notifications.maxSendAttempts', 'notifications-max-send-attempts', 'int', 5, 'Notifications', 'Delivery attempts before a message fails permanently.'),
  opt('notifications.retryInterval', 'notifications-retry-interval', 'duration', '5m', 'Notifications', 'Wait between attempts after a temporary failure.'),
  opt('notifications.storeSyncInterval', 'notifications-store-sync-interval', 'duration', '2s', 'Notifications', 'Wait before writing delivery results again after a failed write (results are otherwise written at once, batched).'),
  opt('notifications.storeSyncBufferSize', 'notifications-store-sync-buffer-size', 'int', 100, 'Notifications', 'Delivery results buffered before dispatch pauses to write them (back-pressure).'),
  opt('notifications.leasePeriod', 'notifications-lease-period', 'duration', '2m', 'Notifications', 'Accepted for compatibility with the reference; no longer needed: a replica holds a message it is delivering by a lock on its database session, released when the result is written or the session ends (crash, lost connection), so another replica takes it over at once (docs/architecture.md). Still honoured for messages left leased by an older Herald.'),
  opt('notifications.leaseCount', 'notifications-lease-count', 'int', 50, 'Notifications', 'The most messages one replica delivers at once; a lease takes up to twice as many, and more while a backlog lasts (docs/performance.md).'),
  opt('notifications.fetchInterval', 'notifications-fetch-interval', 'duration', '15s', 'Notifications', 'Safety-net poll interval; new messages wake the dispatcher at once through LISTEN/NOTIFY.'),
  opt('notifications.webhook.endpoint', 'notifications-webhook-endpoint', 'string', '', 'Notifications', 'URL that webhook notifications are POSTed to.'),
  opt('notifications.webhook.secret', 'notifications-webhook-secret', 'string', '', 'Notifications', 'Standard Webhooks signing key (whsec_<base64>); when set every webhook is signed.', true),
  opt('notifications.slack.webhookUrl', 'notifications-slack-webhook-url', 'string', '', 'Notifications', 'Slack incoming-webhook URL that slack notifications are posted to (when no bot token is set).', true),
  opt('notifications.slack.botToken', 'notifications-slack-bot-token', 'string', '', 'Notifications', 'Slack bot token (xoxb-…, scopes chat:write and users:read.email): messages go to --notifications-slack-channel, or to each recipient as a DM found by e-mail.', true),
  opt('notifications.slack.channel', 'notifications-slack-channel', 'string', '', 'Notifications', 'Slack channel id for bot-token messages. Empty: a direct message to each recipient.'),
  opt('notifications.slack.apiUrl', 'notifications-slack-api-url', 'string', 'https://slack.com/api', 'Notifications', 'Slack Web API base URL (a proxy in air-gapped deployments).'),
  opt('notifications.teams.webhookUrl', 'notifications-teams-webhook-url', 'string', '', 'Notifications', 'Microsoft Teams Workflows webhook URL (Adaptive Card), or a legacy Office 365 connector URL (MessageCard).', true),
  opt('notifications.discord.webhookUrl', 'notifications-discord-webhook-url', 'string', '', 'Notifications', 'Discord channel webhook URL.', true),
  opt('notifications.webpush.vapidPublicKey', 'notifications-webpush-vapid-public-key', 'string', '', 'Notifications', 'VAPID public key (base64url) for browser push. Empty (with the private key): a key pair is generated once and kept in the database, the private key encrypted.'),
  opt('notifications.webpush.vapidPrivateKey', 'notifications-webpush-vapid-private-key', 'string', '', 'Notifications', 'VAPID private key (base64url) for browser push.', true),
  opt('notifications.webpush.subject', 'notifications-webpush-subject', 'string', '', 'Notifications', 'VAPID subject (mailto: or https: URL) push services may contact. Default: the access URL.'),
  opt('notifications.webpush.allowInsecureEndpoints', 'notifications-webpush-allow-insecure-endpoints', 'bool', false, 'Notifications', 'Accept http://127.0.0.1 push subscription endpoints (development and tests only).'),
  opt('notifications.userDestinations.kinds', 'notifications-user-destinations', 'string', '', 'Notifications', 'Destinations users may add themselves, comma-separated: slack, teams, discord, webhook, ntfy. Empty: none.'),
  opt('notifications.userDestinations.allowedHosts', 'notifications-user-destinations-allowed-hosts', 'string', '', 'Notifications', 'Hosts user destinations may point at, comma-separated (*.example.com matches subdomains). Empty: each kind\'s own service hosts; a generic webhook or ntfy then needs a listed host.'),
  opt('notifications.userDestinations.allowPrivateAddresses', 'notifications-user-destinations-allow-private-addresses', 'bool', false, 'Notifications', 'Let user destinations resolve to loopback, private and link-local addresses (test deployments only: opens SSRF).'),
  opt('notifications.inbox.enabled', 'notifications-inbox-enabled', 'bool', true, 'Notifications', 'Also deliver every notification (but passcodes) to the in-app Inbox.'),
  opt('notifications.inbox.maxWatchersPerUser', 'notifications-inbox-max-watchers-per-user', 'int', 32, 'Notifications', 'Open inbox watch WebSockets one user may hold on one replica; past it a new one is closed with code 4429. 0 disables.'),
  opt('notifications.emailLogoUrl', 'notifications-email-logo-url', 'string', '', 'Notifications', "Logo shown at the top of notification e-mails (an absolute http(s) URL). Default: the appearance's logo, else Herald's PNG served at <access URL>/icon/herald.png."),
  opt('notifications.customRateLimit', 'notifications-custom-rate-limit', 'int', 60, 'Notifications', 'Custom notifications a user may send per minute. 0 disables.'),

  opt('email.from', 'email-from', 'string', '', 'Email', 'The sender address of notification e-mails.'),
  opt('email.smarthost', 'email-smarthost', 'string', '', 'Email', 'SMTP relay (host:port) that e-mails are sent through.'),
  opt('email.hello', 'email-hello', 'string', 'localhost', 'Email', 'Hostname sent in the SMTP HELO/EHLO.'),
  opt('email.forceTls', 'email-force-tls', 'bool', false, 'Email', 'Use implicit TLS (as on port 465) whatever the port.'),
  opt('email.auth.identity', 'email-auth-identity', 'string', '', 'Email', 'Identity for PLAIN authentication.'),
  opt('email.auth.username', 'email-auth-username', 'string', '', 'Email', 'Username for SMTP authentication.'),
  opt('email.auth.password', 'email-auth-password', 'string', '', 'Email', 'Password for SMTP authentication.', true),
  opt('email.auth.passwordFile', 'email-auth-password-file', 'string', '', 'Email', 'File holding the SMTP password (read at each delivery).'),
  opt('email.tls.startTls', 'email-tls-starttls', 'bool', false, 'Email', 'Upgrade the connection with STARTTLS (required when set).'),
  opt('email.tls.serverName', 'email-tls-server-name', 'string', '', 'Email', 'Server name expected in the relay certificate. Default: the smarthost host.'),
  opt('email.tls.insecureSkipVerify', 'email-tls-skip-verify', 'bool', false, 'Email', 'Do not verify the relay certificate (testing only).'),
  opt('email.tls.caFile', 'email-tls-ca-cert-file', 'string', '', 'Email', 'CA certificate file to trust for the relay.'),
  opt('email.tls.certFile', 'email-tls-cert-file', 'string', '', 'Email', 'Client certificate file for the relay.'),
  opt('email.tls.keyFile', 'email-tls-cert-key-file', 'string', '', 'Email', 'Client certificate key file for the relay.'),

  opt('prebuilds.reconciliationInterval', 'workspace-prebuilds-reconciliation-interval', 'duration', '1m', 'Prebuilds', 'How often the prebuilds reconciler runs.'),
  opt('prebuilds.backoffInterval', 'workspace-prebuilds-reconciliation-backoff-interval', 'duration', '1m', 'Prebuilds', 'Back-off after a failed prebuild before creating another.'),
  opt('prebuilds.failureHardLimit', 'workspace-prebuilds-failure-hard-limit', 'int', 3, 'Prebuilds', 'Consecutive failed prebuilds that stop a preset (hard_limited). 0 disables.'),
  opt('lifecycle.tickInterval', 'autobuild-poll-interval', 'duration', '1m', 'Provisioning', 'How often the lifecycle executor checks for workspaces to autostart, autostop, make dormant or delete. 0 disables.'),
  opt('lifecycle.reportInterval', 'notifications-report-interval', 'duration', '15m', 'Notifications', 'How often the weekly failed-builds report generator checks whether a report is due. 0 disables.'),
  opt('provisioner.jobTimeout', 'provisioner-job-timeout', 'duration', '5m', 'Provisioning', 'A running provisioner job whose runner stops reporting for this long fails as hung.'),
];

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, resolveConfig } from '../../src/server/config.js';
import { OPTIONS } from '../../src/server/options.js';
import { runCli } from '../support/process.js';

describe('configuration', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'herald-cfg-')), 'herald.yaml');
  fs.writeFileSync(file, 'httpAddress: 127.0.0.1:4000\nnotifications:\n  leaseCount: 7\n  fetchInterval: 30s\nemail:\n  smarthost: file.example:25\n');

  it('takes flag over environment over file over default', () => {
    const cfg = resolveConfig({
      file,
      env: { HERALD_NOTIFICATIONS_LEASE_COUNT: '9', HERALD_EMAIL_SMARTHOST: 'env.example:25' },
      flags: { 'email.smarthost': 'flag.example:25' },
    });
    expect(cfg.httpAddress).toBe('127.0.0.1:4000'); // file
    expect(cfg.notifications.leaseCount).toBe(9); // env over file
    expect(cfg.email.smarthost).toBe('flag.example:25'); // flag over env
    expect(cfg.notifications.fetchInterval).toBe(30_000);
    expect(cfg.notifications.maxSendAttempts).toBe(5); // default
    expect(cfg.accessUrl).toBe('http://127.0.0.1:4000');
  });

  it('refuses bad values with an error naming the option', () => {
    expect(() => resolveConfig({ env: { HERALD_NOTIFICATIONS_DISPATCH_TIMEOUT: '5m' } })).toThrow(/dispatch timeout must be less than lease period/);
    expect(() => resolveConfig({ env: { HERALD_NOTIFICATIONS_METHOD: 'inbox' } })).toThrow(/notifications-method/);
    expect(() => resolveConfig({ env: { HERALD_NOTIFICATIONS_WEBHOOK_ENDPOINT: 'ftp://x' } })).toThrow(/must be an http\(s\) URL/);
    expect(() => resolveConfig({ env: { HERALD_NOTIFICATIONS_LEASE_COUNT: 'many' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ env: { HERALD_NOTIFICATIONS_FETCH_INTERVAL: '15 parsecs' } })).toThrow(/HERALD_NOTIFICATIONS_FETCH_INTERVAL/);
    expect(() => resolveConfig({ env: { HERALD_EMAIL_AUTH_PASSWORD_FILE: '/no/such/file' } })).toThrow(/email-auth-password-file/);
    expect(() => resolveConfig({ file: '/no/such/herald.yaml' })).toThrow(/cannot read config file/);
  });

  it('masks secrets when describing the configuration', () => {
    const cfg = resolveConfig({ env: { HERALD_EMAIL_AUTH_PASSWORD: 'hunter2', HERALD_NOTIFICATIONS_WEBHOOK_SECRET: 'whsec_c2VjcmV0' } });
    const shown = JSON.stringify(describeConfig(cfg));
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('whsec_c2VjcmV0');
    expect(shown).toContain('********');
  });

  it('documents every option in `herald server --help`', async () => {
    const r = await runCli(['server', '--help']);
    expect(r.code).toBe(0);
    for (const o of OPTIONS) {
      expect(r.stdout).toContain(`--${o.flag}`);
      expect(r.stdout).toContain(o.env);
    }
  });

  it('exits with one clear line for a bad option', async () => {
    const r = await runCli(['server', '--notifications-lease-count', 'lots']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: flag \(--notifications-lease-count\): "lots" is not a whole number/);
  });
});

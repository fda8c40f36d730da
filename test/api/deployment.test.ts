import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';

describeEachEngine('deployment config API', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;

  beforeAll(async () => {
    server = await startTestServer(engine, {
      config: {
        notifications: { webhook: { endpoint: 'https://hook-user:hook-pass@hooks.example.com/in', secret: 'whsec_c2VjcmV0LXNpZ25pbmcta2V5' } },
        email: { smarthost: 'smtp.example.com:587', from: 'herald@example.com', auth: { username: 'mailer', password: 'mail-secret' } },
      },
    });
    owner = (await setupOwner(server.api)).api;
  });
  afterAll(async () => server?.stop());

  it('refuses anonymous callers and non-owners', async () => {
    expect((await server.api.get('/deployment/config')).status).toBe(401);
    for (const roles of [[], ['user-admin'], ['template-admin']]) {
      const u = await createUser(owner, roles);
      const r = await u.api.get('/deployment/config');
      expect(r.status, roles.join(',') || 'member').toBe(403);
    }
  });

  it('shows owners the effective configuration with secrets masked', async () => {
    const r = await owner.get('/deployment/config');
    expect(r.status).toBe(200);
    const byOption = new Map<string, { value: unknown; env: string; group: { name: string } }>(
      r.body.options.map((o: { option: string; value: unknown; env: string; group: { name: string } }) => [o.option, o]),
    );
    expect(byOption.get('--email-smarthost')).toMatchObject({ value: 'smtp.example.com:587', env: 'HERALD_EMAIL_SMARTHOST', group: { name: 'Email' } });
    expect(byOption.get('--email-auth-username')?.value).toBe('mailer');
    expect(byOption.get('--notifications-method')).toMatchObject({ value: 'smtp', group: { name: 'Notifications' } });
    // The reference's `config`: the notification settings, durations in nanoseconds, secrets masked.
    expect(r.body.config.notifications).toMatchObject({
      method: 'smtp',
      fetch_interval: 1_000_000_000,
      email: { smarthost: 'smtp.example.com:587', auth: { username: 'mailer', password: '********' } },
      webhook: { endpoint: 'https://********@hooks.example.com/in' },
    });
    expect(byOption.get('--notifications-fetch-interval')).toMatchObject({ value: '1s', type: 'duration' });
    expect(byOption.get('--email-auth-password')?.value).toBe('********');
    expect(byOption.get('--notifications-webhook-secret')?.value).toBe('********');
    expect(byOption.get('--notifications-webhook-endpoint')?.value).toBe('https://********@hooks.example.com/in');
    const text = JSON.stringify(r.body);
    for (const secret of ['mail-secret', 'c2VjcmV0LXNpZ25pbmcta2V5', 'hook-pass', 'hook-user']) expect(text).not.toContain(secret);
  });
});

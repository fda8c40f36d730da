import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import {
  InvalidWebhookSecretError,
  computeWebhookSignature,
  parseWebhookSecret,
  webhookSignatureHeaders,
} from '../../src/notifications/dispatch/signing.js';

describe('parseWebhookSecret', () => {
  it('decodes the base64 part of whsec_<base64>', () => {
    const key = randomBytes(24);
    expect(parseWebhookSecret(`whsec_${key.toString('base64')}`).key.equals(key)).toBe(true);
    // Unpadded base64 and surrounding whitespace (a secrets file's newline) are fine.
    const k2 = Buffer.from('abcde');
    expect(parseWebhookSecret(`  whsec_${k2.toString('base64').replace(/=+$/, '')}\n`).key.equals(k2)).toBe(true);
  });

  it('rejects every other form with a clear error that does not echo the secret', () => {
    const bad = [
      '',
      '   ',
      'c2VjcmV0LXNlY3JldA==',
      'whsec_',
      'whsec_not base64',
      'whsec_c2Vj!cmV0',
      'whsec_c2VjcmV0=x',
      'whsec_a',
      'WHSEC_c2VjcmV0LXNlY3JldA==',
      'whsec-c2VjcmV0LXNlY3JldA==',
      'whsec_c2VjcmV0-_LXNl',
    ];
    for (const s of bad) {
      let err: unknown;
      try {
        parseWebhookSecret(s);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(s)).toBeInstanceOf(InvalidWebhookSecretError);
      expect((err as Error).message).toMatch(/^invalid webhook secret: .*whsec_<base64 key>/);
      if (s.trim().length > 6) expect((err as Error).message).not.toContain(s.trim());
    }
  });

  it('does not print its key', () => {
    const parsed = parseWebhookSecret(`whsec_${Buffer.from('super-secret-key!').toString('base64')}`);
    expect(String(parsed)).not.toContain('super');
    expect(JSON.stringify({ parsed })).not.toContain(Buffer.from('super-secret-key!').toString('base64'));
  });
});

describe('signatures', () => {
  // Test vector from the Standard Webhooks specification's reference libraries.
  it('matches the Standard Webhooks reference vector', () => {
    const key = parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    const sig = computeWebhookSignature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
    expect(sig).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('webhookSignatureHeaders signs id.timestamp.body with unix seconds', () => {
    const raw = randomBytes(32);
    const key = parseWebhookSecret(`whsec_${raw.toString('base64')}`);
    const h = webhookSignatureHeaders(key, 'id-1', '{"a":1}', new Date(1_700_000_000_999));
    expect(h['webhook-id']).toBe('id-1');
    expect(h['webhook-timestamp']).toBe('1700000000');
    const expected = createHmac('sha256', raw).update('id-1.1700000000.{"a":1}').digest('base64');
    expect(h['webhook-signature']).toBe(`v1,${expected}`);
  });
});

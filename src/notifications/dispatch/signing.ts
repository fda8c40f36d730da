// Standard Webhooks signing (https://www.standardwebhooks.com/), used when
// --notifications-webhook-secret is set (product.md §2 item 5).
//
// The secret is configured as `whsec_<base64 key>`. Every request carries:
//   webhook-id:        the notification message id (stable across retries, so
//                      receivers can de-duplicate)
//   webhook-timestamp: unix seconds at the time of this attempt
//   webhook-signature: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`

import { createHmac } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** A decoded signing key. Opaque on purpose: it never prints its bytes. */
export interface WebhookSigningKey {
  readonly key: Buffer;
}

export class InvalidWebhookSecretError extends Error {
  constructor(detail: string) {
    // The secret's value is never part of the message.
    super(`invalid webhook secret: ${detail} (expected "${WEBHOOK_SECRET_PREFIX}<base64 key>")`);
    this.name = 'InvalidWebhookSecretError';
  }
}

// Standard base64 (the alphabet Standard Webhooks uses), padding optional.
const BASE64_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parse a `whsec_<base64>` secret into its key bytes. Throws
 * InvalidWebhookSecretError for anything else, so a bad value fails at config
 * time rather than at the first delivery. Surrounding whitespace (a trailing
 * newline from a secrets file) is ignored.
 */
export function parseWebhookSecret(secret: string): WebhookSigningKey {
  if (typeof secret !== 'string') throw new InvalidWebhookSecretError('not a string');
  const s = secret.trim();
  if (s === '') throw new InvalidWebhookSecretError('empty');
  if (!s.startsWith(WEBHOOK_SECRET_PREFIX)) {
    throw new InvalidWebhookSecretError(`missing "${WEBHOOK_SECRET_PREFIX}" prefix`);
  }
  const b64 = s.slice(WEBHOOK_SECRET_PREFIX.length);
  if (b64 === '') throw new InvalidWebhookSecretError('empty key');
  if (!BASE64_RE.test(b64)) throw new InvalidWebhookSecretError('key is not valid base64');
  const unpadded = b64.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) throw new InvalidWebhookSecretError('key is not valid base64');
  const key = Buffer.from(b64, 'base64');
  // Reject inputs Buffer.from silently truncated (e.g. misplaced padding).
  if (key.toString('base64').replace(/=+$/, '') !== unpadded) {
    throw new InvalidWebhookSecretError('key is not valid base64');
  }
  if (key.length === 0) throw new InvalidWebhookSecretError('empty key');
  return Object.freeze({
    key,
    toString: () => '[webhook signing key]',
    toJSON: () => '[webhook signing key]',
  }) as WebhookSigningKey;
}

/** `v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`. */
export function computeWebhookSignature(
  signingKey: WebhookSigningKey,
  id: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  const mac = createHmac('sha256', signingKey.key);
  mac.update(`${id}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

/** The three Standard Webhooks headers for one attempt. */
export function webhookSignatureHeaders(
  signingKey: WebhookSigningKey,
  id: string,
  body: string | Buffer,
  now: Date = new Date(),
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: computeWebhookSignature(signingKey, id, timestamp, body),
  };
}

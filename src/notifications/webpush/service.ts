// Browser push (Web Push, RFC 8030/8291/8292) with the maintained `web-push` library: it encrypts
// the payload for the subscription (aes128gcm) and signs the VAPID JWT; the request is sent with our
// own HTTP client so it honours the dispatch deadline and the address guard.
//
// The VAPID key pair comes from the options, else is generated once and kept in site_configs with
// the private key sealed (lib/secrets.ts). Subscriptions are https endpoints (http://127.0.0.1 only
// with --notifications-webpush-allow-insecure-endpoints); one answering 404/410 is removed.

import type WebPush from 'web-push';
import type { Database } from '../../db/database.js';
import { lazyModule } from '../../lib/lazy-module.js';
import type { Actor } from '../../access/actor.js';
import type { UserRow } from '../../access/actor.js';
import { can } from '../../access/roles.js';
import { Forbidden, Invalid, NotFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { SecretBox } from '../../lib/secrets.js';
import type { NotificationsConfig } from '../../lib/config.js';
import type { DeliveryResult } from '../types.js';
import type { WebPushNotification } from '../prepare.js';
import { createHttpClient, header, type HttpClient } from '../dispatch/http-post.js';
import { parseRetryAfter } from '../dispatch/webhook.js';
import { publicAddressGuard } from '../destinations/ssrf.js';
import {
  deleteSubscription,
  deleteSubscriptionById,
  insertSiteConfigIfAbsent,
  readSiteConfig,
  subscriptionsOf,
  upsertSubscription,
  type WebpushSubscriptionRow,
} from './queries.js';

const PUBLIC_KEY = 'webpush_vapid_public_key';
const PRIVATE_KEY = 'webpush_vapid_private_key';
const webpush = lazyModule<typeof WebPush>('web-push');

const SEAL_CONTEXT = 'webpush.vapid';
/** How long a push service keeps an undelivered push (seconds). */
const TTL_SECONDS = 24 * 3600;

export interface SubscriptionInput {
  endpoint: string;
  auth_key: string;
  p256dh_key: string;
}

export interface WebPushService {
  /** The VAPID public key (base64url) the dashboard subscribes with. */
  publicKey(): Promise<string>;
  subscribe(actor: Actor, user: UserRow, s: SubscriptionInput): Promise<void>;
  unsubscribe(actor: Actor, user: UserRow, endpoint: string): Promise<void>;
  /** Sends "It's working!" to every subscription of the user. */
  test(actor: Actor, user: UserRow): Promise<void>;
  /** Delivers to every subscription of `userId` (the delivery method). */
  send(userId: string, n: WebPushNotification | null, signal: AbortSignal): Promise<DeliveryResult>;
  close(): void;
}

export interface WebPushDeps {
  db: Database;
  log: Logger;
  secrets: SecretBox;
  accessUrl: string;
  config: NotificationsConfig['webpush'];
  client?: HttpClient;
}

function b64urlBytes(s: string): Buffer | undefined {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(s)) return undefined;
  return Buffer.from(s.replace(/=+$/, ''), 'base64url');
}

function defaultSubject(accessUrl: string): string {
  const u = new URL(accessUrl);
  return u.protocol === 'https:' ? u.origin : `mailto:notifications@${u.hostname.includes('.') ? u.hostname : 'localhost.localdomain'}`;
}

export function createWebPushService(deps: WebPushDeps): WebPushService {
  const { db, log, config } = deps;
  const insecure = config.allowInsecureEndpoints;
  // Push services are public: a subscription pointing inside the network is refused at send time too.
  const client = deps.client ?? createHttpClient(insecure ? {} : { guard: publicAddressGuard });
  let keys: Promise<{ publicKey: string; privateKey: string }> | undefined;
  const subject = config.subject || defaultSubject(deps.accessUrl);

  async function loadKeys(): Promise<{ publicKey: string; privateKey: string }> {
    if (config.vapidPublicKey && config.vapidPrivateKey) return { publicKey: config.vapidPublicKey, privateKey: config.vapidPrivateKey };
    let pub = await readSiteConfig(db, PUBLIC_KEY);
    let sealed = await readSiteConfig(db, PRIVATE_KEY);
    if (!pub || !sealed) {
      const k = webpush().generateVAPIDKeys();
      await db.tx(async (q) => {
        await insertSiteConfigIfAbsent(q, PUBLIC_KEY, k.publicKey);
        await insertSiteConfigIfAbsent(q, PRIVATE_KEY, deps.secrets.seal(k.privateKey, SEAL_CONTEXT));
      });
      pub = await readSiteConfig(db, PUBLIC_KEY);
      sealed = await readSiteConfig(db, PRIVATE_KEY);
      log.info('generated a VAPID key pair for browser push');
    }
    try {
      return { publicKey: pub!, privateKey: deps.secrets.open(sealed!, SEAL_CONTEXT) };
    } catch {
      throw new Error('cannot unseal the stored VAPID private key: is the secrets key the one it was sealed with?');
    }
  }
  const vapid = () => (keys ??= loadKeys().catch((err) => {
    keys = undefined;
    throw err;
  }));

  function assertSelf(actor: Actor, user: UserRow): void {
    // Only the user chooses where their notifications go (an owner neither).
    if (actor.user.id !== user.id) throw can(actor.roles, 'user:read') ? new Forbidden() : new NotFound();
  }

  function validate(s: SubscriptionInput): void {
    const v: { field: string; detail: string }[] = [];
    let url: URL | undefined;
    try {
      url = new URL(s.endpoint);
    } catch {
      v.push({ field: 'endpoint', detail: 'must be a URL' });
    }
    if (url) {
      const localHttp = url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
      if (url.username || url.password) v.push({ field: 'endpoint', detail: 'must not carry credentials' });
      else if (url.protocol !== 'https:' && !(insecure && localHttp)) v.push({ field: 'endpoint', detail: 'must be an https URL' });
    }
    const p = b64urlBytes(s.p256dh_key);
    if (!p || p.length !== 65 || p[0] !== 4) v.push({ field: 'p256dh_key', detail: 'must be an uncompressed P-256 public key (base64url)' });
    const a = b64urlBytes(s.auth_key);
    if (!a || a.length !== 16) v.push({ field: 'auth_key', detail: 'must be a 16-byte authentication secret (base64url)' });
    if (v.length) throw new Invalid('Invalid push subscription.', undefined, v);
  }

  type One = { ok: true } | { ok: false; gone: boolean; retryable: boolean; error: string; retryAfterMs?: number };

  async function pushOne(sub: { endpoint: string; p256dh: string; auth: string }, payload: string | null, signal: AbortSignal): Promise<One> {
    const k = await vapid();
    const details = webpush().generateRequestDetails({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, payload ?? undefined, {
      vapidDetails: { subject, publicKey: k.publicKey, privateKey: k.privateKey },
      TTL: TTL_SECONDS,
      urgency: 'normal',
      contentEncoding: 'aes128gcm',
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(details.headers)) if (name.toLowerCase() !== 'content-length') headers[name] = String(value);
    const out = await client.request({ url: details.endpoint, headers, body: (details.body as Buffer | null) ?? Buffer.alloc(0), signal });
    if ('error' in out) return { ok: false, gone: false, retryable: !out.blocked, error: `webpush: ${out.error}` };
    const { status } = out.answer;
    if (status >= 200 && status < 300) return { ok: true };
    const error = `webpush: HTTP ${status}`;
    if (status === 404 || status === 410) return { ok: false, gone: true, retryable: false, error };
    if (status === 429 || status >= 500) {
      return { ok: false, gone: false, retryable: true, error, retryAfterMs: parseRetryAfter(header(out.answer.headers, 'retry-after')) };
    }
    return { ok: false, gone: false, retryable: false, error };
  }

  async function send(userId: string, n: WebPushNotification | null, signal: AbortSignal): Promise<DeliveryResult> {
    const subs = await subscriptionsOf(db, userId);
    if (subs.length === 0) return { ok: false, retryable: false, error: 'webpush: the user has no push subscription' };
    const payload = n ? JSON.stringify(n) : null;
    const results = await Promise.all(
      subs.map(async (s: WebpushSubscriptionRow) => {
        const r = await pushOne({ endpoint: s.endpoint, p256dh: s.endpoint_p256dh_key, auth: s.endpoint_auth_key }, payload, signal);
        if (!r.ok && r.gone) {
          await deleteSubscriptionById(db, s.id);
          log.info({ user_id: userId, subscription: s.id }, 'removed an expired push subscription');
        }
        return r;
      }),
    );
    if (results.some((r) => r.ok)) return { ok: true };
    const failed = results as Extract<One, { ok: false }>[];
    const retry = failed.filter((r) => r.retryable);
    if (retry.length) {
      const ra = retry.map((r) => r.retryAfterMs).filter((x): x is number => x !== undefined);
      return { ok: false, retryable: true, error: retry[0].error, ...(ra.length ? { retryAfterMs: Math.min(...ra) } : {}) };
    }
    return { ok: false, retryable: false, error: failed.every((r) => r.gone) ? 'webpush: every subscription has expired (removed)' : failed[0].error };
  }

  return {
    publicKey: async () => (await vapid()).publicKey,
    async subscribe(actor, user, s) {
      assertSelf(actor, user);
      validate(s);
      // As the reference: the subscription must accept a push before it is kept.
      const r = await pushOne({ endpoint: s.endpoint, p256dh: s.p256dh_key, auth: s.auth_key }, null, AbortSignal.timeout(10_000));
      if (!r.ok) throw new Invalid('Failed to test webpush subscription', r.error);
      await upsertSubscription(db, { userId: user.id, endpoint: s.endpoint, p256dh: s.p256dh_key, auth: s.auth_key });
    },
    async unsubscribe(actor, user, endpoint) {
      assertSelf(actor, user);
      if (!(await deleteSubscription(db, user.id, endpoint))) throw new NotFound('Webpush subscription not found.');
    },
    async test(actor, user) {
      assertSelf(actor, user);
      const r = await send(user.id, { title: "It's working!", body: "You've subscribed to push notifications.", icon: '', url: `${deps.accessUrl}/notifications`, actions: [], msg_id: '' }, AbortSignal.timeout(10_000));
      if (!r.ok) throw new Invalid('Failed to send test notification', r.error);
    },
    send,
    close: () => {
      if (!deps.client) client.close();
    },
  };
}

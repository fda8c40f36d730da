// Destinations users own: add (a verification code is sent to the destination), verify, list
// (URL masked, secret never shown again), delete; and delivery to every active destination of a
// user (the `destination` method). Admins choose the kinds users may add and the hosts they may
// point at; every connection goes through the address guard unless the test flag says otherwise.
// A destination answering 410 Gone is disabled and its owner is told through a notification.

import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import dns from 'node:dns/promises';
import type { Database } from '../../db/database.js';
import type { Actor } from '../../access/actor.js';
import type { UserRow } from '../../access/actor.js';
import { can } from '../../access/roles.js';
import { Forbidden, Invalid, NotFound, RateLimited } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { SecretBox } from '../../lib/secrets.js';
import type { NotificationsConfig } from '../../lib/config.js';
import { systemClock, type Clock } from '../../lib/service.js';
import { UUID_RE } from '../../lib/ids.js';
import { DESTINATION_KINDS, type CreateUserDestination, type DestinationKind, type UserDestination } from '../../contract/channels.js';
import type { DeliveryMethod, DeliveryResult, PreparedMessage, TemplateHelpers } from '../types.js';
import type { Enqueuer } from '../enqueue.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../templates/catalogue.js';
import { createHttpClient, type HttpClient } from '../dispatch/http-post.js';
import { blockedReason, publicAddressGuard } from './ssrf.js';
import { isGone, sendTo, type Target } from './senders.js';
import { activate, countAttempt, deleteDestination, destinationsOf, disable, getDestination, insertDestination, routedDestinations, type DestinationRow } from './queries.js';

/** Each kind's own service hosts (a leading "*." matches any subdomain). */
export const KIND_HOSTS: Record<DestinationKind, readonly string[]> = {
  slack: ['hooks.slack.com'],
  discord: ['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'],
  teams: ['*.webhook.office.com', '*.logic.azure.com', '*.powerplatform.com', '*.powerautomate.com'],
  ntfy: ['ntfy.sh'],
  webhook: [],
};
const CODE_TTL_MS = 30 * 60_000;
const MAX_ATTEMPTS = 5;
const MAX_PER_USER = 20;
const URL_CONTEXT = 'destination.url';
const SECRET_CONTEXT = 'destination.secret';

export interface DestinationService {
  /** Kinds users may add (the admin's choice). */
  kinds(): readonly DestinationKind[];
  list(actor: Actor, user: UserRow): Promise<UserDestination[]>;
  create(actor: Actor, user: UserRow, input: CreateUserDestination): Promise<UserDestination & { secret?: string }>;
  verify(actor: Actor, user: UserRow, id: string, code: string): Promise<UserDestination>;
  remove(actor: Actor, user: UserRow, id: string): Promise<void>;
  /** The `destination` delivery method. */
  method(): DeliveryMethod;
  close(): void;
}

export interface DestinationDeps {
  db: Database;
  log: Logger;
  secrets: SecretBox;
  enqueuer: Enqueuer;
  accessUrl: string;
  config: NotificationsConfig['userDestinations'];
  clock?: Clock;
  client?: HttpClient;
  /** Name resolution for the check when a destination is added (tests). */
  resolve?: (host: string) => Promise<string[]>;
}

const hashCode = (code: string) => createHash('sha256').update(code).digest();

function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase();
  const p = pattern.toLowerCase().trim();
  if (p === '*') return true;
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
  return h === p;
}

/** "https://hooks.slack.com/…": what the API shows of a URL whose path is a credential. */
export function displayUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname.length > 1 || u.search ? '/…' : '/'}`;
}

export function createDestinationService(deps: DestinationDeps): DestinationService {
  const { db, log, secrets, config } = deps;
  const clock = deps.clock ?? systemClock;
  const allowPrivate = config.allowPrivateAddresses;
  const client = deps.client ?? createHttpClient(allowPrivate ? {} : { guard: publicAddressGuard });
  const allowedKinds = config.kinds
    .split(',')
    .map((k) => k.trim())
    .filter((k): k is DestinationKind => (DESTINATION_KINDS as readonly string[]).includes(k));
  const extraHosts = config.allowedHosts.split(',').map((h) => h.trim()).filter(Boolean);
  const resolve = deps.resolve ?? (async (host: string) => (await dns.lookup(host, { all: true })).map((a) => a.address));

  const toJson = (r: DestinationRow): UserDestination => ({
    id: r.id,
    kind: r.kind,
    name: r.name,
    url: r.url_display,
    channel: `destination:${r.id}`,
    status: r.status,
    disabled_reason: r.disabled_reason,
    created_at: new Date(r.created_at).toISOString(),
    verified_at: r.verified_at ? new Date(r.verified_at).toISOString() : null,
  });

  function assertSelf(actor: Actor, user: UserRow, read = false): void {
    if (actor.user.id === user.id) return;
    if (read && can(actor.roles, 'user:read_preferences_any')) return;
    throw new Forbidden();
  }

  async function checkUrl(kind: DestinationKind, raw: string): Promise<URL> {
    const bad = (detail: string) => new Invalid('Invalid destination.', undefined, [{ field: 'url', detail }]);
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw bad('must be a URL');
    }
    if (u.username || u.password) throw bad('must not carry credentials');
    if (u.protocol !== 'https:' && !(allowPrivate && u.protocol === 'http:')) throw bad('must be an https URL');
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const hosts = [...KIND_HOSTS[kind], ...extraHosts];
    if (!hosts.some((p) => hostMatches(host, p))) throw bad(`host ${host} is not allowed for ${kind} destinations`);
    if (!allowPrivate) {
      // Early feedback; the guard checks again at every connection (DNS may change).
      let addresses: string[];
      try {
        addresses = blockedReason(host) === 'not an IP address' ? await resolve(host) : [host];
      } catch {
        throw bad(`host ${host} does not resolve`);
      }
      const why = addresses.map((a) => blockedReason(a)).find(Boolean);
      if (why) throw bad(`must not point at a private, loopback or link-local address (${why})`);
    }
    if (kind === 'ntfy' && u.pathname.split('/').filter(Boolean).length === 0) throw bad('must name an ntfy topic (https://ntfy.sh/<topic>)');
    return u;
  }

  function helpers(): TemplateHelpers {
    return { base_url: deps.accessUrl, current_year: String(clock().getUTCFullYear()), app_name: 'Herald', logo_url: '' };
  }

  function verificationMessage(user: UserRow, code: string): PreparedMessage {
    return {
      id: '',
      templateId: '',
      payload: {
        _version: '1.2',
        notification_name: 'Destination Verification',
        notification_template_id: '',
        user_id: user.id,
        user_email: user.email,
        user_name: user.name || user.username,
        user_username: user.username,
        actions: [],
        labels: {},
        data: null,
        targets: null,
      },
      titleMarkdown: 'Confirm this notification destination',
      bodyMarkdown: `Your verification code is **${code}**. Enter it in Herald (Account → Notifications) within 30 minutes to receive your notifications here. If you did not ask for this, ignore this message.`,
      helpers: helpers(),
    };
  }

  function target(r: DestinationRow): Target {
    return {
      kind: r.kind,
      url: secrets.open(r.url_sealed, `${URL_CONTEXT}:${r.user_id}`),
      secret: r.secret_sealed ? secrets.open(r.secret_sealed, `${SECRET_CONTEXT}:${r.user_id}`) : undefined,
    };
  }

  async function tellOwner(r: DestinationRow, why: string): Promise<void> {
    try {
      await deps.enqueuer.enqueueMany([
        {
          userId: r.user_id,
          templateId: TEMPLATE_CUSTOM_NOTIFICATION,
          labels: {
            custom_title: `Notification destination disabled: ${r.name || r.kind}`,
            custom_message: `Your ${r.kind} destination ${r.name ? `"${r.name}" ` : ''}(${r.url_display}) answered that it no longer exists (${why}), so Herald stopped sending to it. Add it again from your notification settings once it is fixed.`,
          },
          createdBy: 'user-destination-disabled',
        },
      ]);
    } catch (err) {
      log.warn({ err: (err as Error).message, destination: r.id }, 'could not tell the owner that a destination was disabled');
    }
  }

  async function deliverAll(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult> {
    // Only the destinations this template is routed to (the user's choice in the preferences grid).
    const active = UUID_RE.test(msg.templateId) ? await routedDestinations(db, msg.payload.user_id, msg.templateId) : await destinationsOf(db, msg.payload.user_id, 'active');
    if (active.length === 0) {
      const any = (await destinationsOf(db, msg.payload.user_id, 'active')).length > 0;
      return { ok: false, retryable: false, error: any ? 'destination: none of the user\'s destinations is chosen for this notification' : 'destination: the user has no active destination' };
    }
    const results = await Promise.all(
      active.map(async (d) => {
        let r: DeliveryResult;
        try {
          r = await sendTo(target(d), msg, client, signal, clock());
        } catch (err) {
          r = { ok: false, retryable: true, error: `destination: ${(err as Error).message}` };
        }
        if (isGone(r) && (await disable(db, d.id, r.ok ? '' : r.error))) {
          log.info({ destination: d.id, user_id: d.user_id }, 'disabled a user destination that answered 410 Gone');
          await tellOwner(d, 'HTTP 410 Gone');
        }
        return r;
      }),
    );
    if (results.some((r) => r.ok)) return { ok: true };
    const failed = results as Extract<DeliveryResult, { ok: false }>[];
    const retry = failed.filter((r) => r.retryable);
    if (retry.length) {
      const ra = retry.map((r) => r.retryAfterMs).filter((x): x is number => x !== undefined);
      return { ok: false, retryable: true, error: retry[0].error, ...(ra.length ? { retryAfterMs: Math.min(...ra) } : {}) };
    }
    return failed[0];
  }

  async function owned(user: UserRow, id: string): Promise<DestinationRow> {
    const r = UUID_RE.test(id) ? await getDestination(db, user.id, id) : undefined;
    if (!r) throw new NotFound();
    return r;
  }

  return {
    kinds: () => allowedKinds,
    async list(actor, user) {
      assertSelf(actor, user, true);
      return (await destinationsOf(db, user.id)).map(toJson);
    },
    async create(actor, user, input) {
      assertSelf(actor, user);
      if (!allowedKinds.includes(input.kind)) {
        throw new Invalid('Invalid destination.', undefined, [
          { field: 'kind', detail: allowedKinds.length ? `"${input.kind}" is not allowed here; allowed: ${allowedKinds.join(', ')}` : 'this deployment does not allow user destinations' },
        ]);
      }
      const url = await checkUrl(input.kind, input.url);
      if ((await destinationsOf(db, user.id)).length >= MAX_PER_USER) throw new Invalid(`At most ${MAX_PER_USER} destinations per user.`);
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const secret = input.kind === 'webhook' ? `whsec_${randomBytes(24).toString('base64')}` : undefined;
      const t: Target = { kind: input.kind, url: url.href, secret };
      // The code goes to the destination itself: whoever enters it can read what is sent there.
      const sent = await sendTo(t, verificationMessage(user, code), client, AbortSignal.timeout(10_000), clock());
      if (!sent.ok) throw new Invalid('The destination did not accept the verification message.', sent.error, [{ field: 'url', detail: sent.error }]);
      const row = await insertDestination(db, {
        userId: user.id,
        kind: input.kind,
        name: (input.name ?? '').trim(),
        urlSealed: secrets.seal(url.href, `${URL_CONTEXT}:${user.id}`),
        urlDisplay: displayUrl(url),
        secretSealed: secret ? secrets.seal(secret, `${SECRET_CONTEXT}:${user.id}`) : null,
        codeHash: hashCode(code).toString('hex'),
        expiresAt: new Date(clock().getTime() + CODE_TTL_MS),
      });
      log.info({ destination: row.id, kind: row.kind, user_id: user.id }, 'user destination added (unverified)');
      return { ...toJson(row), ...(secret ? { secret } : {}) };
    },
    async verify(actor, user, id, code) {
      assertSelf(actor, user);
      const r = await owned(user, id);
      if (r.status === 'active') return toJson(r);
      if (r.status !== 'unverified' || !r.verification_code_hash) throw new Invalid('This destination is not waiting for a verification code.');
      if (r.verification_attempts >= MAX_ATTEMPTS) throw new RateLimited('Too many wrong codes: delete the destination and add it again.', 0);
      if (r.verification_expires_at && new Date(r.verification_expires_at).getTime() < clock().getTime()) {
        throw new Invalid('The verification code has expired: delete the destination and add it again.', undefined, [{ field: 'code', detail: 'expired' }]);
      }
      const ok = timingSafeEqual(hashCode(code.trim()), Buffer.from(r.verification_code_hash, 'hex'));
      if (!ok) {
        await countAttempt(db, r.id);
        throw new Invalid('Wrong verification code.', undefined, [{ field: 'code', detail: 'does not match the code sent to the destination' }]);
      }
      return toJson(await activate(db, r.id, clock()));
    },
    async remove(actor, user, id) {
      assertSelf(actor, user);
      await owned(user, id);
      await deleteDestination(db, user.id, id);
    },
    method: () => ({ name: 'destination', deliver: deliverAll }),
    close: () => {
      if (!deps.client) client.close();
    },
  };
}

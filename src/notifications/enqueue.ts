import crypto from 'node:crypto';
import { publishRaised } from './raised.js';
import type { Database, Queryable } from '../db/database.js';
import type { Logger } from '../lib/logger.js';
import type { NotificationsConfig, EmailConfig } from '../lib/config.js';
import type { Action, MessagePayload, NotificationMethod } from './types.js';
import { buildPayload, enqueueHelpers } from './prepare.js';
import { TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE } from './templates/catalogue.js';
import { route, type TemplateRules, type UserRules } from './grouping/rules.js';
import { holdMessages, type HeldRow } from './grouping/hold.js';
import { OPTED_OUT_WHEN, RECIPIENT_OPTED_OUT } from './queries.js';

/** NOTIFY channel that wakes dispatchers on every replica when messages are enqueued. */
export const ENQUEUED_CHANNEL = 'herald_notifications_enqueued';
/** Payload on ENQUEUED_CHANNEL when the notification settings changed (pause/resume): dispatchers re-read them. */
export const SETTINGS_CHANGED = 'settings';

export interface EnqueueRequest {
  userId: string;
  templateId: string;
  labels: Record<string, string>;
  data?: Record<string, unknown> | null;
  createdBy: string;
  targets?: string[];
  /** Exactly these methods instead of the template's and the deployment's (the test notification). */
  methods?: NotificationMethod[];
}

export interface Enqueuer {
  /**
   * Enqueues notifications, one message per delivery method, in one statement whatever the batch
   * size when every template and user is cached and has no rules or routes (else two: templates and
   * users, then one INSERT; and the hold for events with rules). Skipped: a template the user disabled (or an
   * opt-in one not enabled), a message identical to one already sent that UTC day, and the inbox for
   * a one-time passcode. Returns the inserted ids per request, in order; an unknown template or user
   * fails the batch. A single notification is `enqueueMany([req])`. Pass the caller's transaction to
   * enqueue atomically with the event that raised it.
   */
  enqueueMany(reqs: EnqueueRequest[], q?: Queryable): Promise<string[][]>;
}

export class UnknownTemplateError extends Error {
  constructor(id: string) {
    super(`notification template ${id} not found`);
  }
}

export class UnknownUserError extends Error {
  constructor(id: string) {
    super(`user ${id} not found`);
  }
}

export interface StoreEnqueuerOptions {
  /** Its wake-up after a commit goes out with signal(). */
  db: Queryable & Pick<Database, 'signal' | 'engine'>;
  notifications: NotificationsConfig;
  email: EmailConfig;
  accessUrl: string;
  log: Logger;
  now?: () => Date;
}

/** Statements the enqueuer's own calls may have in flight at once; further calls wait and share one. */
const SHARED_SLOTS = 2;
/** Most requests one shared statement carries (a larger single call still goes alone). */
const SHARED_MAX_REQUESTS = 500;

export function createEnqueuer(opts: StoreEnqueuerOptions): Enqueuer {
  const now = opts.now ?? (() => new Date());
  const cfg = opts.notifications;
  const defaultEnabled = !!opts.email.smarthost || !!cfg.webhook.endpoint;

  function methodsFor(templateId: string, override: NotificationMethod | null, routed: readonly string[] | null): NotificationMethod[] {
    const methods: NotificationMethod[] = override ? [override] : defaultEnabled ? [cfg.method] : [];
    if (cfg.inbox.enabled && !methods.includes('inbox')) methods.push('inbox');
    // The user routed this template to one of their own destinations (preferences grid).
    if (routed?.includes(templateId) && !methods.includes('destination') && templateId !== TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE) methods.push('destination');
    // A passcode must never sit in the inbox of someone who may not be the account holder. Without any
    // other method it is still enqueued for the default method, so that the failure ("e-mail is not
    // configured") shows in the delivery history instead of vanishing.
    if (templateId === TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE) {
      const out = methods.filter((m) => m !== 'inbox');
      return out.length ? out : [override ?? cfg.method];
    }
    return methods;
  }

  // The wake-up of autocommitted enqueues, sent after their commit on a statement of its own and
  // coalesced: at most one in flight, plus one more if enqueues committed meanwhile. A NOTIFY inside
  // the inserting transaction takes PostgreSQL's notification-queue lock from its pre-commit until
  // its commit is flushed, so concurrent enqueues committed one at a time instead of sharing WAL
  // flushes (docs/performance.md). A wake-up lost to a crash is covered by the dispatchers' poll.
  let waking: Promise<void> | undefined;
  let wakeAgain = false;
  const wake = () => {
    if (waking) {
      wakeAgain = true;
      return;
    }
    waking = (async () => {
      do {
        wakeAgain = false;
        await opts.db.signal(ENQUEUED_CHANNEL, '').catch((err: Error) =>
          opts.log.debug({ err: err.message }, 'could not wake the dispatchers; they poll'),
        );
      } while (wakeAgain);
    })().finally(() => {
      waking = undefined;
    });
  };

  // Templates and users as the last look-up saw them, to build the common case's payload without a
  // look-up of its own: each one insert statement re-reads the rows it used and inserts nothing when
  // one differs (below), so a stale entry costs a retry on the full path, never a wrong row. Per
  // enqueuer (one per process and database), bounded.
  let inFlight = 0;
  const templateCache = new Map<string, CachedTemplate>();
  const userCache = new Map<string, CachedUser>();
  const remember = <V>(m: Map<string, V>, k: string, v: V, max: number) => {
    m.delete(k);
    m.set(k, v);
    if (m.size > max) m.delete(m.keys().next().value as string);
  };

  type Row = { id: string; tid: string; uid: string; method: NotificationMethod; payload: MessagePayload; targets: string[] | null; by: string };

  /** The message rows of `reqs` (one per method), or held rows for events with a rule. */
  function build(reqs: EnqueueRequest[], templates: Map<string, MetaTemplate>, users: Map<string, MetaUser>, createdAt: Date) {
    const helpers = enqueueHelpers(opts.accessUrl, createdAt);
    const rows: Row[] = [];
    const owner: number[] = [];
    const held: HeldRow[] = [];
    const heldOwner: number[] = [];
    reqs.forEach((req, i) => {
      const t = templates.get(req.templateId);
      if (!t) throw new UnknownTemplateError(req.templateId);
      const u = users.get(req.userId);
      if (!u) throw new UnknownUserError(req.userId);
      const payload = buildPayload(
        { templateId: req.templateId, templateName: t.name, templateActions: t.actions, user: { id: req.userId, email: u.email, name: u.name, username: u.username }, labels: req.labels, data: req.data, targets: req.targets },
        helpers,
      );
      for (const method of req.methods ?? methodsFor(req.templateId, t.method, u.routed)) {
        const row = { id: crypto.randomUUID(), tid: req.templateId, uid: req.userId, method, payload, targets: payload.targets, by: req.createdBy };
        // Events with a rule (grouping, throttle, digest, quiet hours) go through holdMessages instead.
        const routed = t.rules || u.rules ? route({ templateId: req.templateId, method, labels: req.labels, template: t.rules, user: u.rules }, createdAt) : undefined;
        if (routed) {
          held.push({ ...row, routed, ord: held.length });
          heldOwner.push(i);
          continue;
        }
        rows.push(row);
        owner.push(i);
      }
    });
    return { rows, owner, held, heldOwner };
  }

  /** Collects the inserted ids per request; logs what was skipped. */
  function collect(out: string[][], rows: Row[], owner: number[], ids: (string | null)[]) {
    const inserted = new Set(ids);
    rows.forEach((row, k) => {
      if (inserted.has(row.id)) out[owner[k]].push(row.id);
    });
    if (inserted.size < rows.length) {
      opts.log.debug({ requested: rows.length, inserted: inserted.size }, 'some notifications were duplicates or disabled; not enqueued');
    }
  }

  /**
   * The common case in one statement: every template and user is cached, none has rules or routes.
   * Returns undefined (nothing inserted) when the database disagrees with the cache: a template or
   * user changed, went, or got rules or a route; the caller then takes the full path.
   */
  async function fast(reqs: EnqueueRequest[], q: Queryable, own: boolean): Promise<string[][] | undefined> {
    // The wake-up goes in the statement when it cannot hold up a concurrent commit of this process
    // (no other enqueue of ours in flight): one statement per event for a producer that enqueues one
    // at a time, instead of an insert and a wake-up.
    // On the embedded engine an autocommitted enqueue's wake-up is no statement at all
    // (Database.signal), so it never goes in the statement there.
    const inline = !own || (inFlight === 1 && opts.db.engine !== 'pglite');
    const templates = new Map<string, MetaTemplate>();
    const users = new Map<string, MetaUser>();
    for (const r of reqs) {
      const t = templateCache.get(r.templateId);
      const u = userCache.get(r.userId);
      if (!t || t.rules || !u || u.slow) return undefined;
      // Once per template and user, not per request: a 500-request batch of one user spread 500 copies.
      if (!templates.has(r.templateId)) templates.set(r.templateId, t);
      if (!users.has(r.userId)) users.set(r.userId, { ...u, rules: null, routed: null });
    }
    const createdAt = now();
    const { rows, owner, held } = build(reqs, templates, users, createdAt);
    if (held.length) return undefined; // cannot happen without rules; kept as a guard
    const out: string[][] = reqs.map(() => []);
    if (!rows.length) {
      opts.log.debug({ requested: reqs.length }, 'no delivery method enabled; notifications not enqueued');
      return out;
    }
    const tdoc = [...templates].map(([id, t]) => ({ id, name: t.name, actions: t.actions, method: t.method }));
    const udoc = [...users].map(([id, u]) => ({ id, email: u.email, name: u.name, username: u.username }));
    const pairs: { tid: string; uid: string }[] = [];
    const seen = new Set<string>();
    for (const x of rows) {
      const k = `${x.tid} ${x.uid}`;
      if (!seen.has(k)) {
        seen.add(k);
        pairs.push({ tid: x.tid, uid: x.uid });
      }
    }
    const perPair = rows.length >= 8 && pairs.length * 2 <= rows.length;
    const r = await q.query<{ id: string | null }>(
      `WITH t AS MATERIALIZED (
         SELECT * FROM jsonb_to_recordset($3::jsonb) AS c(id uuid, name text, actions jsonb, method notification_method)),
       -- The templates and users are looked up one by one by their keys (LATERAL … OFFSET 0 keeps
       -- each a parameterised index scan): the planner takes a JSON document for 100 rows, and
       -- would otherwise hash the whole users table for the one user of a call (docs/performance.md).
       stale AS MATERIALIZED (
         SELECT 1 FROM t
         LEFT JOIN LATERAL (SELECT x.id, x.name, x.actions, x.method FROM notification_templates x WHERE x.id = t.id OFFSET 0) nt ON true
         WHERE nt.id IS NULL OR nt.name IS DISTINCT FROM t.name OR nt.actions IS DISTINCT FROM t.actions OR nt.method IS DISTINCT FROM t.method
            OR EXISTS (SELECT 1 FROM notification_template_rules tr WHERE tr.template_id = t.id)
         UNION ALL
         SELECT 1 FROM jsonb_to_recordset($4::jsonb) AS c(id uuid, email text, name text, username text)
         LEFT JOIN LATERAL (SELECT x.id, x.email, x.username, x.name FROM users x WHERE x.id = c.id OFFSET 0) u ON true
         WHERE u.id IS NULL OR u.email IS DISTINCT FROM c.email OR u.username IS DISTINCT FROM c.username
            OR COALESCE(NULLIF(u.name, ''), NULLIF(u.username, ''), '') IS DISTINCT FROM c.name
            OR EXISTS (SELECT 1 FROM notification_user_rules ur WHERE ur.user_id = c.id)
            OR EXISTS (SELECT 1 FROM notification_destination_routes dr
                       JOIN user_destinations d ON d.id = dr.destination_id AND d.status = 'active'
                       WHERE dr.user_id = c.id AND dr.enabled AND dr.notification_template_id IN (SELECT id FROM t))
         LIMIT 1),
       ins AS (
         INSERT INTO notification_messages
           (id, notification_template_id, user_id, method, payload, targets, created_by, created_at, dedupe_hash)
         SELECT m.id, m.tid, m.uid, m.method, m.payload, m.targets, m.by, $2,
                notification_message_dedupe_hash(m.tid, m.uid, m.method, m.payload, m.targets, $2)
         FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
              AS (id uuid, tid uuid, uid uuid, method notification_method, payload jsonb, targets uuid[], by text))
              WITH ORDINALITY AS m(id, tid, uid, method, payload, targets, by, ord)
         WHERE NOT EXISTS (SELECT 1 FROM stale)
           -- A larger batch checks RECIPIENT_OPTED_OUT once per template and user (a hashed anti-join)
           -- instead of once per row; for a few rows the per-row look-up is cheaper.
           AND NOT ${perPair ? `EXISTS (
             SELECT 1 FROM jsonb_to_recordset($5::jsonb) AS p(tid uuid, uid uuid)
             JOIN notification_templates nt ON nt.id = p.tid
             LEFT JOIN notification_preferences np ON np.notification_template_id = nt.id AND np.user_id = p.uid
             WHERE p.tid = m.tid AND p.uid = m.uid AND ${OPTED_OUT_WHEN})` : RECIPIENT_OPTED_OUT}
         -- In the batch's order, whatever the join: of duplicates within a batch the first one is kept.
         ORDER BY m.ord
         ON CONFLICT DO NOTHING
         RETURNING id)
       ${inline ? `SELECT id, (SELECT pg_notify('${ENQUEUED_CHANNEL}', '')) AS woke FROM ins UNION ALL SELECT NULL, NULL FROM stale` : 'SELECT id FROM ins UNION ALL SELECT NULL FROM stale'}`,
      [JSON.stringify(rows), createdAt, JSON.stringify(tdoc), JSON.stringify(udoc), ...(perPair ? [JSON.stringify(pairs)] : [])],
      { name: `${inline ? 'herald_enqueue_fast' : 'herald_enqueue_fast_own'}${perPair ? '_pairs' : ''}` },
    );
    if (r.rows.some((x) => x.id === null)) {
      // Forget what was used: the full path reads it again.
      for (const id of templates.keys()) templateCache.delete(id);
      for (const id of users.keys()) userCache.delete(id);
      return undefined;
    }
    if (!inline && r.rows.length) wake();
    // Delivered at this commit, after those of the enqueues that asked for another wake-up.
    else if (own && r.rows.length) wakeAgain = false;
    collect(out, rows, owner, r.rows.map((x) => x.id));
    return out;
  }

  /** One statement (two or three on the full path) for `reqs`. */
  async function run(reqs: EnqueueRequest[], q: Queryable, own: boolean): Promise<string[][]> {
    // In the caller's transaction the wake-up goes with it (NOTIFY is delivered on commit); on its
    // own, the insert commits first and the wake-up follows (above).
    if (own) inFlight++;
    try {
      return (await fast(reqs, q, own)) ?? (await full(reqs, q, own));
    } finally {
      if (own) inFlight--;
    }
  }

  // Calls on the enqueuer's own pool share statements (group commit done by the application): a
  // call goes out at once while fewer than SHARED_SLOTS statements are in flight, and the calls
  // that arrive meanwhile wait for a slot and go out together, as one batch, one commit. A lone
  // caller waits for nothing; 16 concurrent callers pay one statement and one WAL flush per few
  // calls instead of one each (docs/performance.md). Each call still resolves only once its own
  // rows are committed, with its own ids; if a shared statement fails, each of its calls is run
  // again on its own, so that one call's unknown template or user fails only that call.
  let busySlots = 0;
  const waiting: { reqs: EnqueueRequest[]; resolve: (ids: string[][]) => void; reject: (err: unknown) => void }[] = [];
  const startShared = () => {
    while (busySlots < SHARED_SLOTS && waiting.length) {
      let size = 0;
      let k = 0;
      while (k < waiting.length && (k === 0 || size + waiting[k].reqs.length <= SHARED_MAX_REQUESTS)) size += waiting[k++].reqs.length;
      const calls = waiting.splice(0, k);
      busySlots++;
      void runShared(calls).finally(() => {
        busySlots--;
        startShared();
      });
    }
  };
  async function runShared(calls: typeof waiting): Promise<void> {
    if (calls.length === 1) {
      const [c] = calls;
      await run(c.reqs, opts.db, true).then(c.resolve, c.reject);
      return;
    }
    let ids: string[][];
    try {
      ids = await run(calls.flatMap((c) => c.reqs), opts.db, true);
    } catch {
      await Promise.all(calls.map((c) => run(c.reqs, opts.db, true).then(c.resolve, c.reject)));
      return;
    }
    let at = 0;
    for (const c of calls) {
      c.resolve(ids.slice(at, at + c.reqs.length));
      at += c.reqs.length;
    }
  }

  return {
    async enqueueMany(reqs, q = opts.db): Promise<string[][]> {
      if (!reqs.length) return [];
      publishRaised(reqs.map((r) => r.templateId), 'enqueue');
      if (q !== opts.db) return run(reqs, q, false);
      return new Promise((resolve, reject) => {
        waiting.push({ reqs, resolve, reject });
        startShared();
      });
    },
  };

  async function full(reqs: EnqueueRequest[], q: Queryable, own: boolean): Promise<string[][]> {
    const templateIds = [...new Set(reqs.map((r) => r.templateId))];
    const userIds = [...new Set(reqs.map((r) => r.userId))];
    // Templates and users in one statement: one round trip, also inside a transaction. `rules`:
    // the template's grouping/throttle rules and the user's digest/quiet hours (issue 19), if any.
    const meta = await q.query<{ kind: 't' | 'u'; id: string; name: string; actions: Action[] | null; method: NotificationMethod | null; email: string; user_name: string; username: string; rules: (TemplateRules & UserRules) | null; routed: string[] | null }>(
      `SELECT 't' AS kind, id, name, actions, method, NULL AS email, NULL AS user_name, NULL AS username,
              (SELECT to_jsonb(r) FROM notification_template_rules r WHERE r.template_id = t.id) AS rules, NULL::text[] AS routed
       FROM notification_templates t WHERE id = ANY($1::uuid[])
       UNION ALL
       SELECT 'u', id, NULL, NULL, NULL, email, COALESCE(NULLIF(name, ''), NULLIF(username, ''), ''), username,
              (SELECT to_jsonb(r) FROM notification_user_rules r WHERE r.user_id = u.id),
              (SELECT array_agg(DISTINCT dr.notification_template_id::text) FROM notification_destination_routes dr
               JOIN user_destinations d ON d.id = dr.destination_id AND d.status = 'active'
               WHERE dr.user_id = u.id AND dr.enabled AND dr.notification_template_id = ANY($1::uuid[]))
       FROM users u WHERE id = ANY($2::uuid[])`,
      [templateIds, userIds],
      { name: 'herald_enqueue_meta_routes' },
    );
    const templates = new Map<string, MetaTemplate>();
    const users = new Map<string, MetaUser>();
    for (const m of meta.rows) {
      if (m.kind === 't') {
        const t = { name: m.name, actions: m.actions, method: m.method, rules: m.rules };
        templates.set(m.id, t);
        remember(templateCache, m.id, t, 1000);
      } else {
        const u = { email: m.email, name: m.user_name, username: m.username, rules: m.rules, routed: m.routed };
        users.set(m.id, u);
        remember(userCache, m.id, { email: u.email, name: u.name, username: u.username, slow: !!m.rules || !!m.routed?.length }, 10_000);
      }
    }
    const createdAt = now();
    const { rows, owner, held, heldOwner } = build(reqs, templates, users, createdAt);
    const out: string[][] = reqs.map(() => []);
    if (held.length) {
      const placed = await holdMessages(q, ENQUEUED_CHANNEL, held, createdAt);
      held.forEach((row, k) => {
        if (placed.has(row.id)) out[heldOwner[k]].push(row.id);
      });
    }
    if (!rows.length) {
      if (!held.length) opts.log.debug({ requested: reqs.length }, 'no delivery method enabled; notifications not enqueued');
      return out;
    }
    // The batch travels as one JSON document: no per-element array escaping in Node or PostgreSQL,
    // and each payload is parsed once, straight into jsonb.
    const r = await q.query<{ id: string }>(
      `WITH ins AS (
         INSERT INTO notification_messages
           (id, notification_template_id, user_id, method, payload, targets, created_by, created_at, dedupe_hash)
         SELECT m.id, m.tid, m.uid, m.method, m.payload, m.targets, m.by, $2,
                notification_message_dedupe_hash(m.tid, m.uid, m.method, m.payload, m.targets, $2)
         FROM jsonb_to_recordset($1::jsonb)
              AS m(id uuid, tid uuid, uid uuid, method notification_method, payload jsonb, targets uuid[], by text)
         WHERE NOT ${RECIPIENT_OPTED_OUT}
         ON CONFLICT DO NOTHING
         RETURNING id)
       SELECT id${own ? '' : `, (SELECT pg_notify('${ENQUEUED_CHANNEL}', '')) AS woke`} FROM ins`,
      [JSON.stringify(rows), createdAt],
      { name: own ? 'herald_enqueue_many_own' : 'herald_enqueue_many' },
    );
    if (own && r.rows.length) wake();
    collect(out, rows, owner, r.rows.map((x) => x.id));
    return out;
  }
}

interface MetaTemplate {
  name: string;
  actions: Action[] | null;
  method: NotificationMethod | null;
  rules: TemplateRules | null;
}
interface MetaUser {
  email: string;
  /** Display name: the name, else the username. */
  name: string;
  username: string;
  rules: UserRules | null;
  routed: readonly string[] | null;
}
type CachedTemplate = MetaTemplate;
interface CachedUser {
  email: string;
  name: string;
  username: string;
  /** The last look-up found digest/quiet-hour rules or destination routes: take the full path. */
  slow: boolean;
}

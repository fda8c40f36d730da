import crypto from 'node:crypto';
import type { Queryable } from '../db/database.js';
import type { Logger } from '../lib/logger.js';
import type { NotificationsConfig, EmailConfig } from '../lib/config.js';
import type { Action, MessagePayload, NotificationMethod } from './types.js';
import { renderActions } from './render/message.js';
import { TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE } from './templates/catalogue.js';

/** NOTIFY channel that wakes dispatchers on every replica when messages are enqueued. */
export const ENQUEUED_CHANNEL = 'herald_notifications_enqueued';

export interface EnqueueRequest {
  userId: string;
  templateId: string;
  labels: Record<string, string>;
  data?: Record<string, unknown> | null;
  createdBy: string;
  targets?: string[];
}

export interface Enqueuer {
  /**
   * Inserts one message per delivery method and returns their ids: none when the user disabled
   * the template or an identical message went out today. Pass the caller's transaction to enqueue
   * atomically with the event that raised it.
   */
  enqueue(req: EnqueueRequest, q?: Queryable): Promise<string[]>;
  /**
   * Enqueues many notifications with three round trips in all (templates, users, one INSERT):
   * the same checks as enqueue (preferences, dedupe, methods), for fan-out and bulk producers.
   * Returns the inserted ids per request, in order. An unknown template or user fails the batch.
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

interface Meta {
  notification_name: string;
  actions: Action[] | null;
  method: NotificationMethod | null;
  user_email: string;
  user_name: string;
  user_username: string;
}

export interface StoreEnqueuerOptions {
  db: Queryable;
  notifications: NotificationsConfig;
  email: EmailConfig;
  accessUrl: string;
  log: Logger;
  now?: () => Date;
}

export function createEnqueuer(opts: StoreEnqueuerOptions): Enqueuer {
  const now = opts.now ?? (() => new Date());
  const cfg = opts.notifications;
  const defaultEnabled = !!opts.email.smarthost || !!cfg.webhook.endpoint;

  function methodsFor(templateId: string, override: NotificationMethod | null): NotificationMethod[] {
    const methods: NotificationMethod[] = override ? [override] : defaultEnabled ? [cfg.method] : [];
    if (cfg.inbox.enabled && !methods.includes('inbox')) methods.push('inbox');
    // A passcode must never sit in the inbox of someone who may not be the account holder.
    if (templateId === TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE) return methods.filter((m) => m !== 'inbox');
    return methods;
  }

  function buildPayload(req: EnqueueRequest, meta: Meta, createdAt: Date): MessagePayload {
    const payload: MessagePayload = {
      _version: '1.2',
      notification_name: meta.notification_name,
      notification_template_id: req.templateId,
      user_id: req.userId,
      user_email: meta.user_email,
      user_name: meta.user_name,
      user_username: meta.user_username,
      actions: [],
      labels: req.labels,
      data: req.data ?? null,
      targets: req.targets && req.targets.length ? req.targets : null,
    };
    // Actions are templated at enqueue time, when only base_url and current_year are known.
    const helpers = { base_url: opts.accessUrl, current_year: String(createdAt.getUTCFullYear()), app_name: '', logo_url: '' };
    payload.actions = renderActions(meta.actions, payload, helpers);
    return payload;
  }

  return {
    async enqueueMany(reqs, q = opts.db): Promise<string[][]> {
      if (!reqs.length) return [];
      const templateIds = [...new Set(reqs.map((r) => r.templateId))];
      const userIds = [...new Set(reqs.map((r) => r.userId))];
      const [tr, ur] = await Promise.all([
        q.query<{ id: string; name: string; actions: Action[] | null; method: NotificationMethod | null }>(
          `SELECT id, name, actions, method FROM notification_templates WHERE id = ANY($1::uuid[])`,
          [templateIds],
        ),
        q.query<{ id: string; email: string; user_name: string; username: string }>(
          `SELECT id, email, COALESCE(NULLIF(name, ''), NULLIF(username, ''), '') AS user_name, username
           FROM users WHERE id = ANY($1::uuid[])`,
          [userIds],
        ),
      ]);
      const templates = new Map(tr.rows.map((t) => [t.id, t]));
      const users = new Map(ur.rows.map((u) => [u.id, u]));
      const createdAt = now();
      // The batch travels as one JSON document: no per-element array escaping in Node or PostgreSQL,
      // and each payload is parsed once, straight into jsonb.
      const rows: { id: string; tid: string; uid: string; method: NotificationMethod; payload: MessagePayload; targets: string[] | null; by: string }[] = [];
      const owner: number[] = [];
      reqs.forEach((req, i) => {
        const t = templates.get(req.templateId);
        if (!t) throw new UnknownTemplateError(req.templateId);
        const u = users.get(req.userId);
        if (!u) throw new UnknownUserError(req.userId);
        const meta: Meta = { notification_name: t.name, actions: t.actions, method: t.method, user_email: u.email, user_name: u.user_name, user_username: u.username };
        const payload = buildPayload(req, meta, createdAt);
        for (const method of methodsFor(req.templateId, meta.method)) {
          rows.push({ id: crypto.randomUUID(), tid: req.templateId, uid: req.userId, method, payload, targets: payload.targets, by: req.createdBy });
          owner.push(i);
        }
      });
      const out: string[][] = reqs.map(() => []);
      if (!rows.length) return out;
      const r = await q.query<{ id: string }>(
        `WITH ins AS (
           INSERT INTO notification_messages
             (id, notification_template_id, user_id, method, payload, targets, created_by, created_at, dedupe_hash)
           SELECT m.id, m.tid, m.uid, m.method, m.payload, m.targets, m.by, $2,
                  notification_message_dedupe_hash(m.tid, m.uid, m.method, m.payload, m.targets, $2)
           FROM jsonb_to_recordset($1::jsonb)
                AS m(id uuid, tid uuid, uid uuid, method notification_method, payload jsonb, targets uuid[], by text)
           WHERE NOT EXISTS (
             SELECT 1 FROM notification_templates nt
             LEFT JOIN notification_preferences np
               ON np.notification_template_id = nt.id AND np.user_id = m.uid
             WHERE nt.id = m.tid
               AND (np.disabled = true OR m.method::text = ANY(np.disabled_methods) OR (nt.enabled_by_default = false AND np.user_id IS NULL)))
           ON CONFLICT (dedupe_hash) DO NOTHING
           RETURNING id)
         SELECT id, (SELECT pg_notify('${ENQUEUED_CHANNEL}', '')) AS woke FROM ins`,
        [JSON.stringify(rows), createdAt],
        { name: 'herald_enqueue_many' },
      );
      const inserted = new Set(r.rows.map((x) => x.id));
      rows.forEach((row, k) => {
        if (inserted.has(row.id)) out[owner[k]].push(row.id);
      });
      if (inserted.size < rows.length) {
        opts.log.debug({ requested: rows.length, inserted: inserted.size }, 'some notifications were duplicates or disabled; not enqueued');
      }
      return out;
    },

    async enqueue(req, q = opts.db): Promise<string[]> {
      const meta = (
        await q.query<Meta>(
          `SELECT nt.name AS notification_name, nt.actions, nt.method, u.email AS user_email,
                  COALESCE(NULLIF(u.name, ''), NULLIF(u.username, ''), '') AS user_name,
                  u.username AS user_username
           FROM notification_templates nt
           CROSS JOIN users u
           WHERE nt.id = $1 AND u.id = $2`,
          [req.templateId, req.userId],
          { name: 'herald_enqueue_meta' },
        )
      ).rows[0];
      if (!meta) {
        const t = await q.query(`SELECT 1 FROM notification_templates WHERE id = $1`, [req.templateId]);
        throw t.rowCount ? new UnknownUserError(req.userId) : new UnknownTemplateError(req.templateId);
      }
      const createdAt = now();
      const payload = buildPayload(req, meta, createdAt);

      const methods = methodsFor(req.templateId, meta.method);
      if (methods.length === 0) {
        opts.log.debug({ template_id: req.templateId }, 'no delivery method enabled; notification not enqueued');
        return [];
      }
      const ids = methods.map(() => crypto.randomUUID());
      const r = await q.query<{ id: string }>(
        `WITH ins AS (
           INSERT INTO notification_messages
             (id, notification_template_id, user_id, method, payload, targets, created_by, created_at, dedupe_hash)
           SELECT m.id, $2, $3, m.method, $4::jsonb, $5::uuid[], $6, $7,
                  notification_message_dedupe_hash($2, $3, m.method, $4::jsonb, $5::uuid[], $7)
           FROM unnest($1::uuid[], $8::notification_method[]) AS m(id, method)
           WHERE NOT EXISTS (
             SELECT 1 FROM notification_templates nt
             LEFT JOIN notification_preferences np
               ON np.notification_template_id = nt.id AND np.user_id = $3
             WHERE nt.id = $2
               AND (np.disabled = true OR m.method::text = ANY(np.disabled_methods) OR (nt.enabled_by_default = false AND np.user_id IS NULL)))
           ON CONFLICT (dedupe_hash) DO NOTHING
           RETURNING id)
         SELECT id, (SELECT pg_notify('${ENQUEUED_CHANNEL}', '')) AS woke FROM ins`,
        [ids, req.templateId, req.userId, JSON.stringify(payload), payload.targets, req.createdBy, createdAt, methods],
        { name: 'herald_enqueue' },
      );
      const inserted = r.rows.map((x) => x.id);
      if (inserted.length < methods.length) {
        const inhibited = inserted.length === 0 && (await isInhibited(q, req.userId, req.templateId));
        opts.log.debug(
          { template_id: req.templateId, user_id: req.userId, created_by: req.createdBy },
          inhibited ? 'notification is not enabled; not enqueued' : 'duplicate notification; not enqueued',
        );
      }
      return inserted;
    },
  };
}

async function isInhibited(q: Queryable, userId: string, templateId: string): Promise<boolean> {
  const r = await q.query(
    `SELECT 1 FROM notification_templates nt
     LEFT JOIN notification_preferences np ON np.notification_template_id = nt.id AND np.user_id = $1
     WHERE nt.id = $2 AND (np.disabled = true OR (nt.enabled_by_default = false AND np.user_id IS NULL))`,
    [userId, templateId],
  );
  return r.rowCount > 0;
}

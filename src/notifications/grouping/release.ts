import crypto from 'node:crypto';
import { publishRaised } from '../raised.js';
import { EventEmitter } from 'node:events';
import type { Database, Queryable } from '../../db/database.js';
import type { Logger } from '../../lib/logger.js';
import { systemClock, type Clock } from '../../lib/service.js';
import type { Action, MessagePayload, NotificationMethod } from '../types.js';
import type { NoiseMetrics } from '../metrics.js';
import { buildPayload, enqueueHelpers, prepare } from '../prepare.js';
import { markdownToPlaintext } from '../render/markdown.js';
import { TEMPLATE_NOTIFICATION_DIGEST } from '../templates/catalogue.js';
import { systemScheduler, type Scheduler, type TimerHandle } from '../dispatch/scheduler.js';
import { GROUPS_CHANNEL } from './hold.js';
import { itemName, MAX_LISTED } from './rules.js';
import { localTime } from './zone.js';
import { RECIPIENT_OPTED_OUT } from '../queries.js';

// Releases groups and digests whose time has come (issue 19): one message carries every held
// event. Runs on every replica; a group is claimed with FOR UPDATE SKIP LOCKED and released in the
// transaction that writes its message, so two replicas never release the same group and a replica
// that dies mid-release leaves it open for the next one. Nothing lives only in memory: the one
// timer is armed from the due time a new group's NOTIFY carries, and re-read from the table after
// every pass and on a poll (a window that a flap guard extended is found there).

interface GroupRow {
  id: string;
  user_id: string;
  method: NotificationMethod;
  kind: 'group' | 'digest';
  reason: string;
  template_id: string | null;
  opened_at: Date;
  time_zone: string | null;
}

interface MemberRow {
  id: string;
  group_id: string;
  template_id: string;
  template_name: string;
  title_template: string;
  body_template: string;
  actions: Action[] | null;
  group_actions: Action[] | null;
  item: string | null;
  mode: 'list' | 'latest' | null;
  payload: MessagePayload;
  targets: string[] | null;
  created_at: Date;
  status_reason: string | null;
}

export interface ReleaseEvents {
  /** A release pass committed: groups released, messages written (groups with nothing held write none). */
  released: { groups: number; messages: number };
}

export interface GroupReleaserOptions {
  db: Database;
  log: Logger;
  accessUrl: string;
  metrics: NoiseMetrics;
  /** The NOTIFY channel of the dispatchers: a release wakes them on it (new groups: GROUPS_CHANNEL). */
  channel: string;
  clock?: Clock;
  scheduler?: Scheduler;
  /** Safety-net re-read of the earliest due time (another replica's groups), ms. */
  pollMs?: number;
  batch?: number;
}

const DIGEST_TEMPLATE_SQL = `SELECT name, actions FROM notification_templates WHERE id = $1`;

export class GroupReleaser {
  private readonly clock: Clock;
  private readonly timers: Scheduler;
  private readonly events = new EventEmitter();
  private active = false;
  private running: 'idle' | 'busy' | 'again' = 'idle';
  private done: Promise<void> = Promise.resolve();
  private dueTimer: TimerHandle | undefined;
  private dueAt = 0;
  private pollTimer: TimerHandle | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly opts: GroupReleaserOptions) {
    this.clock = opts.clock ?? systemClock;
    this.timers = opts.scheduler ?? systemScheduler;
  }

  on<K extends keyof ReleaseEvents>(event: K, fn: (e: ReleaseEvents[K]) => void): () => void {
    this.events.on(event, fn);
    return () => void this.events.off(event, fn);
  }

  async start(): Promise<void> {
    if (this.active) return;
    this.active = true;
    // A new group's NOTIFY carries its due time: arming the timer costs no query (a storm opening
    // groups does not compete with the dispatcher for connections); anything else re-reads it.
    this.unlisten = await this.opts.db.listen(GROUPS_CHANNEL, (payload) => {
      const at = Number(payload);
      if (payload && Number.isFinite(at)) this.arm(at);
      else void this.rearm();
    });
    this.armPoll();
    this.kick();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.timers.clearTimeout(this.dueTimer);
    this.timers.clearTimeout(this.pollTimer);
    this.dueTimer = undefined;
    await this.unlisten?.().catch(() => undefined);
    await this.done;
  }

  private armPoll(): void {
    this.pollTimer = this.timers.setTimeout(() => {
      if (!this.active) return;
      this.armPoll();
      this.kick();
    }, this.opts.pollMs ?? 10_000);
  }

  /** Releases what is due now, then arms the timer for the next due time. */
  kick(): void {
    if (!this.active) return;
    if (this.running !== 'idle') {
      this.running = 'again';
      return;
    }
    this.running = 'busy';
    this.done = (async () => {
      try {
        do {
          this.running = 'busy';
          try {
            while ((await this.releaseDue()) > 0 && this.active);
          } catch (err) {
            this.opts.log.warn({ err: (err as Error).message }, 'failed to release notification groups');
          }
          await this.rearm();
        } while ((this.running as string) === 'again' && this.active);
      } finally {
        this.running = 'idle';
      }
    })();
  }

  /** Re-reads the earliest due time and arms one timer for it. */
  private async rearm(): Promise<void> {
    if (!this.active) return;
    let next: Date | null = null;
    try {
      const r = await this.opts.db.query<{ at: Date | null }>(`SELECT min(due_at) AS at FROM notification_groups WHERE status = 'open'`);
      next = r.rows[0]?.at ? new Date(r.rows[0].at) : null;
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'failed to read the next notification group due time');
      return;
    }
    if (next) this.arm(next.getTime());
  }

  /** Arms the one timer for `at` unless it is already armed for that time or earlier. */
  private arm(at: number): void {
    if (!this.active) return;
    if (this.dueTimer !== undefined && this.dueAt <= at) return;
    this.timers.clearTimeout(this.dueTimer);
    this.dueAt = at;
    this.dueTimer = this.timers.setTimeout(() => {
      this.dueTimer = undefined;
      this.kick();
    }, at - this.clock().getTime());
  }

  /** One release pass: claims up to `batch` due groups and releases them; resolves how many. */
  async releaseDue(): Promise<number> {
    const now = this.clock();
    const result = await this.opts.db.tx(async (q) => {
      const groups = (
        await q.query<GroupRow>(
          `SELECT g.id, g.user_id, g.method, g.kind, g.reason, g.template_id, g.opened_at, ur.time_zone
           FROM notification_groups g LEFT JOIN notification_user_rules ur ON ur.user_id = g.user_id
           WHERE g.status = 'open' AND g.due_at <= $1
           ORDER BY g.due_at LIMIT $2
           FOR UPDATE OF g SKIP LOCKED`,
          [now, this.opts.batch ?? 50],
        )
      ).rows;
      if (!groups.length) return { groups: 0, messages: 0, counts: [] as Counted[] };
      const members = (
        await q.query<MemberRow>(
          `SELECT nm.id, nm.group_id, nm.notification_template_id AS template_id, nt.name AS template_name,
                  nt.title_template, nt.body_template, nt.actions, r.group_actions, r.item, r.mode,
                  nm.payload, nm.targets, nm.created_at, nm.status_reason
           FROM notification_messages nm
           JOIN notification_templates nt ON nt.id = nm.notification_template_id
           LEFT JOIN notification_template_rules r ON r.template_id = nm.notification_template_id
           WHERE nm.group_id = ANY($1::uuid[]) AND nm.status = 'held'
           ORDER BY nm.created_at, nm.id`,
          [groups.map((g) => g.id)],
        )
      ).rows;
      const byGroup = new Map<string, MemberRow[]>();
      for (const m of members) byGroup.set(m.group_id, [...(byGroup.get(m.group_id) ?? []), m]);
      const digest = groups.some((g) => g.kind === 'digest')
        ? (await q.query<{ name: string; actions: Action[] | null }>(DIGEST_TEMPLATE_SQL, [TEMPLATE_NOTIFICATION_DIGEST])).rows[0]
        : undefined;

      const carriers: Carrier[] = [];
      const counts: Counted[] = [];
      for (const g of groups) {
        const held = byGroup.get(g.id) ?? [];
        if (!held.length) continue;
        carriers.push(this.carrier(g, held, now, digest));
        counts.push({ g, held });
      }
      const inserted = await insertCarriers(q, this.opts.channel, carriers, now);
      await q.query(
        `WITH c AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS c(gid uuid, mid uuid, n int, ok boolean)),
         g AS (
           UPDATE notification_groups g SET status = 'released', released_at = $2,
             message_id = CASE WHEN c.ok THEN c.mid END, held_count = COALESCE(c.n, 0)
           FROM unnest($3::uuid[]) AS u(id) LEFT JOIN c ON c.gid = u.id
           WHERE g.id = u.id
           RETURNING g.id)
         UPDATE notification_messages nm
         SET status = CASE WHEN c.ok THEN 'grouped' ELSE 'inhibited' END::notification_message_status,
             status_reason = CASE WHEN c.ok THEN 'delivered in message ' || c.mid::text || ' (' || COALESCE(substr(nm.status_reason, 7), 'group') || ')'
                                  ELSE 'disabled by user' END,
             updated_at = $2
         FROM c WHERE nm.group_id = c.gid AND nm.status = 'held'`,
        [JSON.stringify(carriers.map((c) => ({ gid: c.groupId, mid: c.id, n: c.count, ok: inserted.has(c.id) }))), now, groups.map((g) => g.id)],
      );
      return { groups: groups.length, messages: inserted.size, counts: counts.filter((c) => inserted.has(carriers.find((x) => x.groupId === c.g.id)!.id)) };
    });
    if (result.groups) {
      this.count(result.counts);
      this.events.emit('released', { groups: result.groups, messages: result.messages });
    }
    return result.groups;
  }

  private count(counts: Counted[]): void {
    const m = this.opts.metrics;
    for (const { g, held } of counts) {
      for (const h of held) {
        if (g.kind === 'digest') m.held.inc({ reason: g.reason === 'quiet_hours' ? 'quiet_hours' : 'digest' });
        else m.grouped.inc({ notification_template_id: h.template_id });
        if (h.status_reason === 'held: throttle') m.throttled.inc({ notification_template_id: h.template_id });
      }
    }
  }

  private carrier(g: GroupRow, held: MemberRow[], now: Date, digest: { name: string; actions: Action[] | null } | undefined): Carrier {
    const helpers = enqueueHelpers(this.opts.accessUrl, now);
    const first = held[0];
    const last = held[held.length - 1];
    const user = { id: first.payload.user_id, email: first.payload.user_email, name: first.payload.user_name, username: first.payload.user_username };
    const events = held.map((h) => ({
      message_id: h.id,
      template_id: h.template_id,
      template: h.template_name,
      name: itemName(h.item ?? '{name}', h.payload.labels),
      title: title(h, helpers),
      created_at: new Date(h.created_at).toISOString(),
    }));
    const group = { id: g.id, reason: g.reason, count: held.length, opened_at: new Date(g.opened_at).toISOString(), released_at: now.toISOString(), events };
    const id = crypto.randomUUID();
    let templateId: string;
    let payload: MessagePayload;
    if (g.kind === 'digest') {
      templateId = TEMPLATE_NOTIFICATION_DIGEST;
      const zone = g.time_zone ?? 'UTC';
      const since = localTime(new Date(first.created_at), zone);
      const pad = (n: number) => String(n).padStart(2, '0');
      payload = safePayload(
        {
          templateId,
          templateName: digest?.name ?? 'Notification Digest',
          templateActions: digest?.actions ?? [],
          user,
          labels: {
            digest_count: String(held.length),
            digest_since: `${since.year}-${pad(since.month)}-${pad(since.day)} ${pad(since.hour)}:${pad(since.minute)} (${zone})`,
            digest_reason: g.reason === 'quiet_hours' ? 'quiet hours' : 'digest',
          },
          data: { group },
          targets: null,
        },
        helpers,
      );
    } else if (first.mode === 'latest') {
      // Flap guard: the final state, as its own template, with what it stands for.
      templateId = last.template_id;
      payload = { ...last.payload, data: { ...(last.payload.data ?? {}), group } };
    } else {
      templateId = first.template_id;
      const names = events.map((e) => e.name);
      payload = safePayload(
        {
          templateId,
          templateName: first.template_name,
          templateActions: first.group_actions ?? first.actions,
          user,
          labels: {
            ...first.payload.labels,
            group_count: String(held.length),
            group_items: names.slice(0, MAX_LISTED).join(', '),
            group_more: held.length > MAX_LISTED ? String(held.length - MAX_LISTED) : '',
          },
          data: { group },
          targets: first.targets,
        },
        helpers,
      );
    }
    return { id, groupId: g.id, templateId, userId: g.user_id, method: g.method, payload, targets: payload.targets, count: held.length };
  }
}

interface Counted {
  g: GroupRow;
  held: MemberRow[];
}

interface Carrier {
  id: string;
  groupId: string;
  templateId: string;
  userId: string;
  method: NotificationMethod;
  payload: MessagePayload;
  targets: string[] | null;
  count: number;
}

function title(h: MemberRow, helpers: ReturnType<typeof enqueueHelpers>): string {
  try {
    const p = prepare({ id: h.id, templateId: h.template_id, payload: h.payload, title_template: h.title_template, body_template: '' }, helpers);
    return markdownToPlaintext(p.titleMarkdown);
  } catch {
    return h.template_name;
  }
}

/** A broken action template must not keep a group from being released: it loses its actions. */
function safePayload(p: Parameters<typeof buildPayload>[0], helpers: ReturnType<typeof enqueueHelpers>): MessagePayload {
  try {
    return buildPayload(p, helpers);
  } catch {
    return buildPayload({ ...p, templateActions: [] }, helpers);
  }
}

/** Inserts the group messages (pending, `carries` their group); a template the user disabled is skipped. */
async function insertCarriers(q: Queryable, channel: string, carriers: Carrier[], now: Date): Promise<Set<string>> {
  if (!carriers.length) return new Set();
  publishRaised(carriers.map((c) => c.templateId), 'grouping');
  const r = await q.query<{ id: string }>(
    `WITH ins AS (
       INSERT INTO notification_messages
         (id, notification_template_id, user_id, method, payload, targets, created_by, created_at, dedupe_hash, carries)
       SELECT m.id, m.tid, m.uid, m.method, m.payload, m.targets, 'grouping', $2,
              notification_message_dedupe_hash(m.tid, m.uid, m.method, m.payload, m.targets, $2), m.gid
       FROM jsonb_to_recordset($1::jsonb) AS m(id uuid, tid uuid, uid uuid, method notification_method, payload jsonb, targets uuid[], gid uuid)
       WHERE NOT ${RECIPIENT_OPTED_OUT}
       ON CONFLICT DO NOTHING
       RETURNING id)
     SELECT id, (SELECT pg_notify('${channel}', '')) AS woke FROM ins`,
    [JSON.stringify(carriers.map((c) => ({ id: c.id, tid: c.templateId, uid: c.userId, method: c.method, payload: c.payload, targets: c.targets, gid: c.groupId }))), now],
  );
  return new Set(r.rows.map((x) => x.id));
}

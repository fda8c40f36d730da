import type { Database, Queryable } from '../../db/database.js';
import type { Actor } from '../../access/actor.js';
import { Invalid, NotFound } from '../../lib/errors.js';
import { systemClock, type Clock } from '../../lib/service.js';
import { UUID_RE } from '../../lib/ids.js';
import type { InboxNotification } from './store.js';
import {
  countUnread,
  listInbox,
  markAllRead,
  setArchived,
  setReadStatus,
  setSnoozedUntil,
  type InboxFilter,
} from './queries.js';

/** The longest snooze: a year (a typo in a year field must not hide a row for ever). */
export const MAX_SNOOZE_MS = 366 * 24 * 3600 * 1000;

export interface InboxChange {
  notification: InboxNotification;
  unread_count: number;
}

/** The caller's in-app inbox: every operation is on the actor's own rows only. */
export interface InboxService {
  list(actor: Actor, f: InboxFilter & { startingBefore?: string }): Promise<{ notifications: InboxNotification[]; unread_count: number }>;
  setReadStatus(actor: Actor, id: string, isRead: boolean): Promise<InboxChange>;
  setArchived(actor: Actor, id: string, archived: boolean): Promise<InboxChange>;
  /** `until` null wakes the row now; otherwise it must be in the future (at most a year). */
  snooze(actor: Actor, id: string, until: string | null): Promise<InboxChange>;
  markAllRead(actor: Actor): Promise<void>;
}

export function createInboxService(deps: { db: Database; clock?: Clock }): InboxService {
  const { db } = deps;
  const clock = deps.clock ?? systemClock;

  const checkId = (id: string) => {
    if (!UUID_RE.test(id)) throw new Invalid(`Invalid UUID "${id}".`, undefined, [{ field: 'id', detail: 'must be a UUID' }]);
    return id.toLowerCase();
  };
  /** One change, its announcement to every replica's watchers, and the new count, in one transaction. */
  const change = async (
    actor: Actor,
    id: string,
    fn: (q: Queryable, userId: string, id: string, now: Date) => Promise<InboxNotification | undefined>,
  ): Promise<InboxChange> => {
    const rowId = checkId(id);
    const userId = actor.user.id;
    const now = clock();
    return db.tx(async (q) => {
      const notification = await fn(q, userId, rowId, now);
      // Another user's id is indistinguishable from an unknown one.
      if (!notification) throw new NotFound();
      return { notification, unread_count: await countUnread(q, userId, now) };
    });
  };

  return {
    async list(actor, f) {
      const userId = actor.user.id;
      const now = clock();
      const notifications = await listInbox(db, userId, { ...f, now });
      return { notifications, unread_count: await countUnread(db, userId, now) };
    },
    setReadStatus: (actor, id, isRead) => change(actor, id, (q, u, i, now) => setReadStatus(q, u, i, isRead, now)),
    setArchived: (actor, id, archived) => change(actor, id, (q, u, i, now) => setArchived(q, u, i, archived, now)),
    snooze(actor, id, until) {
      let at: Date | null = null;
      if (until !== null) {
        at = new Date(until);
        const now = clock().getTime();
        if (Number.isNaN(at.getTime())) {
          throw new Invalid('Invalid snooze time.', undefined, [{ field: 'until', detail: 'must be an RFC 3339 date-time' }]);
        }
        if (at.getTime() <= now) throw new Invalid('Invalid snooze time.', undefined, [{ field: 'until', detail: 'must be in the future' }]);
        if (at.getTime() - now > MAX_SNOOZE_MS) {
          throw new Invalid('Invalid snooze time.', undefined, [{ field: 'until', detail: 'must be at most a year ahead' }]);
        }
      }
      return change(actor, id, (q, u, i) => setSnoozedUntil(q, u, i, at));
    },
    async markAllRead(actor) {
      await db.tx((q) => markAllRead(q, actor.user.id, clock()));
    },
  };
}

import type { Queryable } from '../../db/database.js';
import type { Actor } from '../../auth/actor.js';
import { Invalid, NotFound } from '../../lib/errors.js';
import { UUID_RE } from '../../platform/directory.js';
import type { InboxNotification } from './store.js';
import { countUnread, listInbox, markAllRead, setReadStatus, type InboxFilter } from './queries.js';

/** The caller's in-app inbox: every operation is on the actor's own rows only. */
export interface InboxService {
  list(actor: Actor, f: InboxFilter & { startingBefore?: string }): Promise<{ notifications: InboxNotification[]; unread_count: number }>;
  setReadStatus(actor: Actor, id: string, isRead: boolean): Promise<{ notification: InboxNotification; unread_count: number }>;
  markAllRead(actor: Actor): Promise<void>;
}

export function createInboxService(deps: { db: Queryable }): InboxService {
  const { db } = deps;
  return {
    async list(actor, f) {
      const userId = actor.user.id;
      const notifications = await listInbox(db, userId, f);
      return { notifications, unread_count: await countUnread(db, userId) };
    },
    async setReadStatus(actor, id, isRead) {
      if (!UUID_RE.test(id)) throw new Invalid(`Invalid UUID "${id}".`, undefined, [{ field: 'id', detail: 'must be a UUID' }]);
      const userId = actor.user.id;
      // Another user's id is indistinguishable from an unknown one.
      const notification = await setReadStatus(db, userId, id.toLowerCase(), isRead);
      if (!notification) throw new NotFound();
      return { notification, unread_count: await countUnread(db, userId) };
    },
    async markAllRead(actor) {
      await markAllRead(db, actor.user.id);
    },
  };
}

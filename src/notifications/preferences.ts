import type { Queryable } from '../db/database.js';
import type { Preference } from '../contract/notifications.js';
import type { Actor } from '../auth/actor.js';
import { can } from '../auth/roles.js';
import { Forbidden, Invalid } from '../lib/errors.js';
import { UUID_RE } from '../platform/directory.js';
import type { UserRow } from '../platform/users/queries.js';
import { existingTemplateIds, getPreferences, updatePreferences, type PreferenceRow } from './queries.js';

export type { PreferenceRow };

export const toPreferenceJson = (p: PreferenceRow): Preference => ({
  id: p.notification_template_id,
  disabled: p.disabled,
  updated_at: new Date(p.updated_at).toISOString(),
});
export type PreferenceJson = ReturnType<typeof toPreferenceJson>;

/** A user's choice of which notifications they get (by template). */
export interface PreferenceService {
  /** Throws unless the actor may read `user`'s preferences: themself, owners and user admins. */
  assertCanRead(actor: Actor, user: UserRow): void;
  /**
   * Throws unless the actor may change `user`'s preferences: themself and owners only. A user
   * admin may read them but not change them (else it could silence "User account suspended" for
   * an owner before suspending someone).
   */
  assertCanChange(actor: Actor, user: UserRow): void;
  list(actor: Actor, user: UserRow): Promise<PreferenceJson[]>;
  /** Sets `disabled` per template id; unknown or malformed ids are refused, nothing is written. */
  update(actor: Actor, user: UserRow, map: Record<string, boolean>): Promise<PreferenceJson[]>;
}

export function createPreferenceService(deps: { db: Queryable }): PreferenceService {
  const { db } = deps;
  const self = (actor: Actor, user: UserRow) => user.id === actor.user.id;
  const svc: PreferenceService = {
    assertCanRead(actor, user) {
      // Another member's answers 400, as the reference does.
      if (!self(actor, user) && !can(actor.roles, 'user:read_preferences_any')) {
        throw new Invalid('You cannot access the notification preferences of another user.');
      }
    },
    assertCanChange(actor, user) {
      svc.assertCanRead(actor, user);
      if (!self(actor, user) && !can(actor.roles, 'user:update_preferences_any')) {
        throw new Forbidden('Only the user themself or an owner may change notification preferences.');
      }
    },
    async list(actor, user) {
      svc.assertCanRead(actor, user);
      return (await getPreferences(db, user.id)).map(toPreferenceJson);
    },
    async update(actor, user, map) {
      svc.assertCanChange(actor, user);
      const ids = Object.keys(map);
      const bad = ids.filter((k) => !UUID_RE.test(k));
      if (bad.length) {
        throw new Invalid('Unable to parse notification template UUID.', undefined, bad.map((k) => ({ field: `template_disabled_map.${k}`, detail: 'not a UUID' })));
      }
      const known = ids.length ? await existingTemplateIds(db, ids) : new Set<string>();
      const unknown = ids.filter((k) => !known.has(k.toLowerCase()));
      if (unknown.length) {
        throw new Invalid('Unknown notification template.', undefined, unknown.map((k) => ({ field: `template_disabled_map.${k}`, detail: 'no such notification template' })));
      }
      await updatePreferences(db, user.id, map);
      return (await getPreferences(db, user.id)).map(toPreferenceJson);
    },
  };
  return svc;
}

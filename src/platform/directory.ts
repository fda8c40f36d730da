import type { Queryable } from '../db/database.js';
import type { Actor } from '../access/actor.js';
import { Invalid, NotFound } from '../lib/errors.js';
import { getUserById, getUserByUsername, type UserRow } from '../auth/users/queries.js';
import { findOrganization, type OrganizationRow } from './events.js';

import { USERNAME_RE, UUID_RE } from '../lib/ids.js';

export { USERNAME_RE, UUID_RE };

/** Resolves the names people put in paths: {user} ("me", an id or a username) and {organization}. */
export interface Directory {
  user(actor: Actor, value: string): Promise<UserRow>;
  organization(value: string): Promise<OrganizationRow>;
}

export function createDirectory(db: Queryable): Directory {
  return {
    async user(actor, value) {
      if (value === 'me') return actor.user;
      const printable = value.replace(/[^\x20-\x7e]/g, '?');
      if (!UUID_RE.test(value) && !USERNAME_RE.test(value)) throw new Invalid(`Could not find user "${printable}".`);
      const user = UUID_RE.test(value) ? await getUserById(db, value) : await getUserByUsername(db, value);
      // The reference answers an unknown user in a path with 400, not 404.
      if (!user) throw new Invalid(`Could not find user "${printable}".`);
      return user;
    },
    async organization(value) {
      const o = await findOrganization(db, value);
      if (!o) throw new NotFound(`Organization "${value}" not found.`);
      return o;
    },
  };
}

import type { ApiKeyRow } from './queries.js';
import type { UserRow } from '../platform/users/queries.js';

/** Who is calling: the authenticated user, the key they used and their roles. Services take it as an argument. */
export interface Actor {
  user: UserRow;
  key: ApiKeyRow;
  roles: string[];
}

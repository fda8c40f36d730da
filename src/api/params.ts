import type { FastifyRequest } from 'fastify';
import type { UserRow } from '../auth/users/queries.js';
import type { OrganizationRow } from '../platform/events.js';
import type { Directory } from '../platform/directory.js';
import { actorOf } from './auth.js';

export { USERNAME_RE, UUID_RE } from '../platform/directory.js';

/** Resolves a {user} path parameter: "me", an id or a username. */
export function userParam(dir: Directory, req: FastifyRequest, value: string): Promise<UserRow> {
  return dir.user(actorOf(req), value);
}

export { OrgParam } from '../contract/common.js';

/** Resolves an {organization} path parameter: its name or id. */
export function orgParam(dir: Directory, value: string): Promise<OrganizationRow> {
  return dir.organization(value);
}

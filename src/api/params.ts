import type { FastifyRequest } from 'fastify';
import type { Queryable } from '../db/database.js';
import { getUserById, getUserByUsername, type UserRow } from '../platform/users/queries.js';
import { actorOf } from './auth.js';
import { HttpError, notFound } from './errors.js';
import { findOrganization, type OrganizationRow } from '../platform/events.js';
import { Type } from '@sinclair/typebox';

export const USERNAME_RE = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Resolves a {user} path parameter: "me", an id or a username. */
export async function userParam(q: Queryable, req: FastifyRequest, value: string): Promise<UserRow> {
  const actor = actorOf(req);
  if (value === 'me') return actor.user;
  if (!UUID_RE.test(value) && !USERNAME_RE.test(value)) throw new HttpError(400, `Could not find user "${value.replace(/[^\x20-\x7e]/g, '?')}".`);
  const user = UUID_RE.test(value) ? await getUserById(q, value) : await getUserByUsername(q, value);
  if (!user) throw new HttpError(400, `Could not find user "${value}".`);
  return user;
}

export const OrgParam = Type.Object({ organization: Type.String({ minLength: 1, maxLength: 64 }) });

/** Resolves an {organization} path parameter: its name or id. */
export async function orgParam(q: Queryable, value: string): Promise<OrganizationRow> {
  const o = await findOrganization(q, value);
  if (!o) throw notFound(`Organization "${value}" not found.`);
  return o;
}

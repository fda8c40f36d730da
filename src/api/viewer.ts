import type { FastifyRequest } from 'fastify';
import { can } from '../access/roles.js';
import type { Viewer } from '../platform/workspaces/service.js';
import { actorOf } from './auth.js';

/** What the caller may see and change of workspaces, as the workspace services take it. */
export function viewerOf(req: FastifyRequest): Viewer {
  const actor = actorOf(req);
  return { user: actor.user, readAny: can(actor.roles, 'workspace:read_any'), updateAny: can(actor.roles, 'workspace:update_any') };
}

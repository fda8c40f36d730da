import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../server/context.js';
import { checkApiKey, touchApiKey, type ApiKeyRow } from '../auth/sessions.js';
import { getUserById, touchLastSeen, type UserRow } from '../platform/users/queries.js';
import { can, type Permission } from '../auth/roles.js';
import type { Actor } from '../auth/actor.js';
import { forbidden, unauthorized } from './errors.js';

export type { Actor };

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
  }
}

export const SESSION_COOKIE = 'coder_session_token';

/** Session token from the Coder-Session-Token header, a Bearer header, or the session cookie. */
export function tokenFromRequest(req: FastifyRequest): string | undefined {
  const h = req.headers['coder-session-token'];
  if (typeof h === 'string' && h) return h;
  const auth = req.headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '');
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
    }
  }
  return undefined;
}

/** onRequest hook for every authenticated route: runs before the body is read. */
export function authenticate(ctx: AppContext) {
  const touched = new Map<string, number>();
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const token = tokenFromRequest(req);
    if (!token) throw unauthorized('You must be logged in to do that.', 'No session token was provided.');
    const check = await checkApiKey(ctx.db, token);
    if (!check.ok) {
      throw unauthorized(check.reason === 'expired' ? 'API key expired.' : 'Invalid API key.');
    }
    const user = await getUserById(ctx.db, check.key.user_id);
    if (!user) throw unauthorized('Invalid API key.', 'The user of this key no longer exists.');
    if (user.status === 'suspended') {
      throw unauthorized('Your account is suspended. Contact an admin to reactivate your account.');
    }
    req.actor = { user, key: check.key, roles: user.rbac_roles };
    // Bookkeeping at most once a minute per key (the columns have minute resolution anyway), and
    // never slowing or failing the request.
    const now = Date.now();
    if ((touched.get(check.key.id) ?? 0) < now - 60_000) {
      if (touched.size > 10_000) touched.clear();
      touched.set(check.key.id, now);
      void touchApiKey(ctx.db, check.key.id).catch(() => undefined);
      void touchLastSeen(ctx.db, user.id).catch(() => undefined);
    }
  };
}

export function actorOf(req: FastifyRequest): Actor {
  if (!req.actor) throw unauthorized();
  return req.actor;
}

export function authorize(req: FastifyRequest, perm: Permission): Actor {
  const actor = actorOf(req);
  if (!can(actor.roles, perm)) throw forbidden();
  return actor;
}

/**
 * Credentials that a route checks itself (agent tokens, provisioner keys), resolved once per request
 * and first thing (onRequest), so bad credentials answer 401 before the body is even validated.
 */
export function requestAuth<T>(resolve: (req: FastifyRequest) => Promise<T>) {
  const cache = new WeakMap<FastifyRequest, Promise<T>>();
  const get = (req: FastifyRequest): Promise<T> => {
    let p = cache.get(req);
    if (!p) {
      p = resolve(req);
      cache.set(req, p);
    }
    return p;
  };
  return {
    get,
    onRequest: async (req: FastifyRequest): Promise<void> => {
      await get(req);
    },
  };
}

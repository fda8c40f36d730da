import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/service.js';
import type { Limit } from '../auth/rate-limit.js';
import { can, type Permission } from '../access/roles.js';
import type { Actor } from '../access/actor.js';
import { forbidden, unauthorized } from './errors.js';

export type { Actor };

declare module 'fastify' {
  interface FastifyRequest {
    actor?: Actor;
    /** The client's address, resolved once per request (behind trusted proxies: from their header). */
    clientAddress?: string;
  }
}

export const SESSION_COOKIE = 'coder_session_token';

/** The resolved client address (the socket's peer when no hook resolved one). */
export const clientAddressOf = (req: FastifyRequest): string => req.clientAddress ?? req.ip;

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
      if (k !== SESSION_COOKIE) continue;
      // A malformed escape (`%`) is just a token that matches nothing: 401, not a thrown URIError.
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return v.join('=');
      }
    }
  }
  return undefined;
}

/**
 * onRequest hook for every authenticated route (runs before the body is read). With `apiLimit`,
 * the request counts against the authenticated user once the token is verified, and against the
 * client address when it is not (so junk tokens do not bypass the limit, and nobody can spend
 * someone else's bucket by sending their token id).
 */
export function authenticate(auth: Authenticator, apiLimit?: Limit) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    let actor: Actor;
    try {
      actor = await auth.authenticate(tokenFromRequest(req));
    } catch (err) {
      await apiLimit?.hit(`address:${clientAddressOf(req)}`);
      throw err;
    }
    await apiLimit?.hit(`user:${actor.user.id}`);
    req.actor = actor;
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

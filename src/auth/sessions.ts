import type { Queryable } from '../db/database.js';
import { insertApiKey, type ApiKeyRow } from './queries.js';
import { newToken } from '../access/tokens.js';

// Minting and revoking keys on the database. The server goes through the auth service (service.ts),
// which adds the rules; `herald reset-password` and tests use these directly.
export { deleteApiKeysByUser, type ApiKeyRow } from './queries.js';

/** Mints a key (scope "all" unless given) without any check: callers decide who may have one. */
export async function createApiKey(
  q: Queryable,
  opts: { userId: string; loginType: 'password' | 'token'; lifetimeMs: number; tokenName?: string; scope?: string },
): Promise<{ token: string; row: ApiKeyRow }> {
  const t = newToken();
  const row = await insertApiKey(q, {
    id: t.id,
    hashedSecret: t.hashedSecret,
    userId: opts.userId,
    lifetimeSeconds: Math.max(1, Math.round(opts.lifetimeMs / 1000)),
    loginType: opts.loginType,
    tokenName: opts.tokenName ?? '',
    scope: opts.scope ?? 'all',
  });
  return { token: t.token, row };
}

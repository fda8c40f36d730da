import type { Queryable } from '../db/database.js';
import { newToken, parseToken, secretMatches } from './tokens.js';

export interface ApiKeyRow {
  id: string;
  hashed_secret: Uint8Array;
  user_id: string;
  last_used: Date;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  login_type: 'password' | 'token' | 'none';
  lifetime_seconds: number;
  token_name: string;
  scope: string;
}

export async function createApiKey(
  q: Queryable,
  opts: { userId: string; loginType: 'password' | 'token'; lifetimeMs: number; tokenName?: string },
): Promise<{ token: string; row: ApiKeyRow }> {
  const t = newToken();
  const seconds = Math.max(1, Math.round(opts.lifetimeMs / 1000));
  const r = await q.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, hashed_secret, user_id, expires_at, login_type, lifetime_seconds, token_name)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5::login_type, $4, $6) RETURNING *`,
    [t.id, t.hashedSecret, opts.userId, seconds, opts.loginType, opts.tokenName ?? ''],
  );
  return { token: t.token, row: r.rows[0] };
}

export type TokenCheck = { ok: true; key: ApiKeyRow } | { ok: false; reason: 'invalid' | 'expired' };

export async function checkApiKey(q: Queryable, token: string): Promise<TokenCheck> {
  const parsed = parseToken(token);
  if (!parsed) return { ok: false, reason: 'invalid' };
  const r = await q.query<ApiKeyRow>(`SELECT * FROM api_keys WHERE id = $1`, [parsed.id]);
  const key = r.rows[0];
  if (!key || !secretMatches(parsed.secret, key.hashed_secret)) return { ok: false, reason: 'invalid' };
  if (key.expires_at.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
  return { ok: true, key };
}

export async function touchApiKey(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE api_keys SET last_used = now() WHERE id = $1 AND last_used < now() - interval '1 minute'`, [id]);
}

export async function deleteApiKey(q: Queryable, id: string): Promise<void> {
  await q.query(`DELETE FROM api_keys WHERE id = $1`, [id]);
}

export async function deleteApiKeysByUser(q: Queryable, userId: string): Promise<number> {
  return (await q.query(`DELETE FROM api_keys WHERE user_id = $1`, [userId])).rowCount;
}

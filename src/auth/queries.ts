import type { ApiKeyRow } from '../access/actor.js';
import type { Queryable } from '../db/database.js';

// Data access of the auth folder: api_keys, the passcode columns of users, rate_limit_windows.

export type { ApiKeyRow };

export interface NewApiKey {
  id: string;
  hashedSecret: Buffer;
  userId: string;
  lifetimeSeconds: number;
  loginType: 'password' | 'token';
  tokenName: string;
  scope: string;
}

export async function insertApiKey(q: Queryable, k: NewApiKey): Promise<ApiKeyRow> {
  const r = await q.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, hashed_secret, user_id, expires_at, login_type, lifetime_seconds, token_name, scope)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5::login_type, $4, $6, $7) RETURNING *`,
    [k.id, k.hashedSecret, k.userId, k.lifetimeSeconds, k.loginType, k.tokenName, k.scope],
  );
  return r.rows[0];
}

export async function getApiKey(q: Queryable, id: string): Promise<ApiKeyRow | undefined> {
  const r = await q.query<ApiKeyRow>(`SELECT * FROM api_keys WHERE id = $1`, [id]);
  return r.rows[0];
}

export async function touchApiKey(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE api_keys SET last_used = now() WHERE id = $1 AND last_used < now() - interval '1 minute'`, [id]);
}

export async function deleteApiKey(q: Queryable, id: string): Promise<void> {
  await q.query(`DELETE FROM api_keys WHERE id = $1`, [id]);
}

/** A user's API tokens (not their login sessions), newest first. */
export async function listTokens(q: Queryable, userId: string): Promise<ApiKeyRow[]> {
  const r = await q.query<ApiKeyRow>(`SELECT * FROM api_keys WHERE user_id = $1 AND login_type = 'token' ORDER BY created_at DESC, id`, [userId]);
  return r.rows;
}

/** Deletes one of the user's keys; false when the user has no such key. */
export async function deleteUserApiKey(q: Queryable, userId: string, id: string): Promise<boolean> {
  const r = await q.query(`DELETE FROM api_keys WHERE id = $1 AND user_id = $2`, [id, userId]);
  return (r.rowCount ?? 0) > 0;
}

export async function deleteApiKeysByUser(q: Queryable, userId: string): Promise<number> {
  return (await q.query(`DELETE FROM api_keys WHERE user_id = $1`, [userId])).rowCount;
}

/** Stores a new passcode hash for the user (replacing any earlier one); a no-op for an unknown id. */
export async function storePasscode(q: Queryable, userId: string | null, hashed: Buffer, expiresAt: Date): Promise<void> {
  await q.query(
    `UPDATE users SET hashed_one_time_passcode = $2, one_time_passcode_expires_at = $3
     WHERE id = $1::uuid`,
    // The nil UUID matches nobody: an unknown e-mail does the same work as a known one.
    [userId ?? '00000000-0000-0000-0000-000000000000', hashed, expiresAt],
  );
}

/** The user's current passcode hash, locked for the rest of the transaction. */
export async function lockPasscode(q: Queryable, userId: string): Promise<Buffer | null> {
  const r = await q.query<{ h: Uint8Array | null }>(`SELECT hashed_one_time_passcode AS h FROM users WHERE id = $1 FOR UPDATE`, [
    userId,
  ]);
  const h = r.rows[0]?.h;
  return h ? Buffer.from(h) : null;
}

/**
 * Counts one hit for the key: in its current window, or in a new one starting `now` when the
 * current one began at or before `expiredBefore`. Answers the window's hits and start.
 */
export async function hitRateLimit(
  q: Queryable,
  rule: string,
  key: string,
  now: Date,
  expiredBefore: Date,
): Promise<{ hits: number; window_start: Date }> {
  const r = await q.query<{ hits: number; window_start: Date }>(
    `INSERT INTO rate_limit_windows AS w (rule, key, window_start, hits) VALUES ($1, $2, $3, 1)
     ON CONFLICT (rule, key) DO UPDATE SET
       hits = CASE WHEN w.window_start <= $4 THEN 1 ELSE w.hits + 1 END,
       window_start = CASE WHEN w.window_start <= $4 THEN EXCLUDED.window_start ELSE w.window_start END
     RETURNING hits, window_start`,
    [rule, key, now, expiredBefore],
    { name: 'herald_rate_limit_hit' },
  );
  return r.rows[0];
}

/** Drops windows that began before `before` (they have ended for every rule). */
export async function pruneRateLimits(q: Queryable, before: Date): Promise<number> {
  return (await q.query(`DELETE FROM rate_limit_windows WHERE window_start < $1`, [before])).rowCount;
}

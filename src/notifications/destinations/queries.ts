import type { Queryable } from '../../db/database.js';
import type { DestinationKind } from '../../contract/channels.js';

export interface DestinationRow {
  id: string;
  user_id: string;
  kind: DestinationKind;
  name: string;
  url_sealed: string;
  url_display: string;
  secret_sealed: string | null;
  status: 'unverified' | 'active' | 'disabled';
  disabled_reason: string;
  verification_code_hash: string | null;
  verification_expires_at: Date | string | null;
  verification_attempts: number;
  created_at: Date | string;
  verified_at: Date | string | null;
}

export async function insertDestination(
  q: Queryable,
  d: { userId: string; kind: DestinationKind; name: string; urlSealed: string; urlDisplay: string; secretSealed: string | null; codeHash: string; expiresAt: Date },
): Promise<DestinationRow> {
  const r = await q.query<DestinationRow>(
    `INSERT INTO user_destinations (user_id, kind, name, url_sealed, url_display, secret_sealed, verification_code_hash, verification_expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [d.userId, d.kind, d.name, d.urlSealed, d.urlDisplay, d.secretSealed, d.codeHash, d.expiresAt],
  );
  return r.rows[0];
}

export async function destinationsOf(q: Queryable, userId: string, status?: DestinationRow['status']): Promise<DestinationRow[]> {
  const r = status
    ? await q.query<DestinationRow>('SELECT * FROM user_destinations WHERE user_id = $1 AND status = $2 ORDER BY created_at, id', [userId, status])
    : await q.query<DestinationRow>('SELECT * FROM user_destinations WHERE user_id = $1 ORDER BY created_at, id', [userId]);
  return r.rows;
}

export async function getDestination(q: Queryable, userId: string, id: string): Promise<DestinationRow | undefined> {
  return (await q.query<DestinationRow>('SELECT * FROM user_destinations WHERE user_id = $1 AND id = $2', [userId, id])).rows[0];
}

export async function deleteDestination(q: Queryable, userId: string, id: string): Promise<boolean> {
  return (await q.query('DELETE FROM user_destinations WHERE user_id = $1 AND id = $2 RETURNING id', [userId, id])).rows.length > 0;
}

/** Counts a wrong code; returns the attempts made. */
export async function countAttempt(q: Queryable, id: string): Promise<number> {
  const r = await q.query<{ verification_attempts: number }>(
    'UPDATE user_destinations SET verification_attempts = verification_attempts + 1 WHERE id = $1 RETURNING verification_attempts',
    [id],
  );
  return r.rows[0]?.verification_attempts ?? 0;
}

export async function activate(q: Queryable, id: string, at: Date): Promise<DestinationRow> {
  const r = await q.query<DestinationRow>(
    `UPDATE user_destinations SET status = 'active', verified_at = $2, verification_code_hash = NULL, verification_expires_at = NULL,
       verification_attempts = 0, disabled_reason = '' WHERE id = $1 RETURNING *`,
    [id, at],
  );
  return r.rows[0];
}

/** Disables an active destination; false when it was not active (another replica got there first). */
export async function disable(q: Queryable, id: string, reason: string): Promise<boolean> {
  const r = await q.query(`UPDATE user_destinations SET status = 'disabled', disabled_reason = $2 WHERE id = $1 AND status = 'active' RETURNING id`, [id, reason]);
  return r.rows.length > 0;
}

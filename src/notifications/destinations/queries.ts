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

/**
 * The active destinations of `userId` that template `templateId` goes to: the user's choice for that
 * template, else on when the template's method is `destination` (the admin routed it there).
 */
export async function routedDestinations(q: Queryable, userId: string, templateId: string): Promise<DestinationRow[]> {
  const r = await q.query<DestinationRow>(
    `SELECT d.* FROM user_destinations d
     JOIN notification_templates nt ON nt.id = $2
     LEFT JOIN notification_destination_routes r ON r.destination_id = d.id AND r.notification_template_id = nt.id
     WHERE d.user_id = $1 AND d.status = 'active' AND COALESCE(r.enabled, nt.method::text = 'destination')
     ORDER BY d.created_at, d.id`,
    [userId, templateId],
  );
  return r.rows;
}

/** A user's stored per-template choices for their destinations. */
export async function routesOf(q: Queryable, userId: string): Promise<{ destination_id: string; notification_template_id: string; enabled: boolean }[]> {
  const r = await q.query<{ destination_id: string; notification_template_id: string; enabled: boolean }>(
    'SELECT destination_id, notification_template_id, enabled FROM notification_destination_routes WHERE user_id = $1',
    [userId],
  );
  return r.rows;
}

/** Stores per-template choices for destinations (all written, or none). */
export async function setRoutes(q: Queryable, userId: string, rows: { destinationId: string; templateId: string; enabled: boolean }[]): Promise<void> {
  if (!rows.length) return;
  await q.query(
    `INSERT INTO notification_destination_routes (destination_id, notification_template_id, user_id, enabled)
     SELECT r.d, r.t, $1, r.e FROM jsonb_to_recordset($2::jsonb) AS r(d uuid, t uuid, e boolean)
     JOIN user_destinations d ON d.id = r.d AND d.user_id = $1
     ON CONFLICT (destination_id, notification_template_id) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = now()`,
    [userId, JSON.stringify(rows.map((x) => ({ d: x.destinationId, t: x.templateId, e: x.enabled })))],
  );
}

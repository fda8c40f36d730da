import type { Queryable } from '../../db/database.js';

export interface WebpushSubscriptionRow {
  id: string;
  user_id: string;
  created_at: Date | string;
  endpoint: string;
  endpoint_p256dh_key: string;
  endpoint_auth_key: string;
}

export async function upsertSubscription(q: Queryable, s: { userId: string; endpoint: string; p256dh: string; auth: string }): Promise<void> {
  await q.query(
    `INSERT INTO webpush_subscriptions (user_id, endpoint, endpoint_p256dh_key, endpoint_auth_key) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id, endpoint) DO UPDATE SET endpoint_p256dh_key = EXCLUDED.endpoint_p256dh_key, endpoint_auth_key = EXCLUDED.endpoint_auth_key`,
    [s.userId, s.endpoint, s.p256dh, s.auth],
  );
}

export async function subscriptionsOf(q: Queryable, userId: string): Promise<WebpushSubscriptionRow[]> {
  return (await q.query<WebpushSubscriptionRow>('SELECT * FROM webpush_subscriptions WHERE user_id = $1 ORDER BY created_at', [userId])).rows;
}

/** Deletes one subscription of a user; false when there was none. */
export async function deleteSubscription(q: Queryable, userId: string, endpoint: string): Promise<boolean> {
  const r = await q.query('DELETE FROM webpush_subscriptions WHERE user_id = $1 AND endpoint = $2 RETURNING id', [userId, endpoint]);
  return r.rows.length > 0;
}

export async function deleteSubscriptionById(q: Queryable, id: string): Promise<void> {
  await q.query('DELETE FROM webpush_subscriptions WHERE id = $1', [id]);
}

export async function readSiteConfig(q: Queryable, key: string): Promise<string | undefined> {
  return (await q.query<{ value: string }>('SELECT value FROM site_configs WHERE key = $1', [key])).rows[0]?.value;
}

/** Inserts unless present (the first replica to generate a key pair wins). */
export async function insertSiteConfigIfAbsent(q: Queryable, key: string, value: string): Promise<void> {
  await q.query('INSERT INTO site_configs (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, value]);
}

import type { Queryable } from './database.js';

// Deployment-wide settings in site_configs (key → text value).

/** The notifier's settings ({"notifier_paused": bool}); the dispatcher reads it in SQL, the admin API writes it. */
export const NOTIFICATIONS_SETTINGS_KEY = 'notifications_settings';

export async function getSiteConfig(q: Queryable, key: string): Promise<string | undefined> {
  const r = await q.query<{ value: string }>(`SELECT value FROM site_configs WHERE key = $1`, [key]);
  return r.rows[0]?.value;
}

export async function setSiteConfig(q: Queryable, key: string, value: string): Promise<void> {
  await q.query(
    `INSERT INTO site_configs (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [key, value],
  );
}

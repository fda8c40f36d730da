import type { Queryable } from '../db/database.js';

// Users' notification preferences (table notification_preferences) and template look-ups for them.

export interface PreferenceRow {
  notification_template_id: string;
  disabled: boolean;
  updated_at: Date;
}

export async function getPreferences(q: Queryable, userId: string): Promise<PreferenceRow[]> {
  const r = await q.query<PreferenceRow>(
    `SELECT notification_template_id, disabled, updated_at FROM notification_preferences
     WHERE user_id = $1 ORDER BY notification_template_id`,
    [userId],
  );
  return r.rows;
}

/** Upserts the user's choices for the given templates; returns how many rows changed. */
export async function updatePreferences(q: Queryable, userId: string, map: Record<string, boolean>): Promise<number> {
  const ids = Object.keys(map);
  if (!ids.length) return 0;
  const r = await q.query(
    `INSERT INTO notification_preferences (user_id, notification_template_id, disabled)
     SELECT $1, t.id, t.disabled FROM unnest($2::uuid[], $3::bool[]) AS t(id, disabled)
     ON CONFLICT (user_id, notification_template_id)
     DO UPDATE SET disabled = EXCLUDED.disabled, updated_at = now()`,
    [userId, ids, ids.map((id) => map[id])],
  );
  return r.rowCount;
}

/** Which of these template ids exist (lower-case). */
export async function existingTemplateIds(q: Queryable, ids: string[]): Promise<Set<string>> {
  const r = await q.query<{ id: string }>(`SELECT id FROM notification_templates WHERE id = ANY($1::uuid[])`, [ids]);
  return new Set(r.rows.map((x) => x.id));
}

/** These templates' names and critical flags, by (lower-case) id. */
export async function templateFlags(q: Queryable, ids: string[]): Promise<Map<string, { name: string; critical: boolean }>> {
  const r = await q.query<{ id: string; name: string; critical: boolean }>(
    `SELECT id, name, critical FROM notification_templates WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(r.rows.map((x) => [x.id, { name: x.name, critical: x.critical }]));
}

/** A template as the channel grid needs it, with the user's stored choice (null: never chosen). */
export interface ChannelPreferenceRow {
  id: string;
  name: string;
  group: string | null;
  method: string | null;
  enabled_by_default: boolean;
  critical: boolean;
  disabled: boolean | null;
  disabled_methods: string[] | null;
  updated_at: Date | null;
}

export async function getChannelPreferences(q: Queryable, userId: string): Promise<ChannelPreferenceRow[]> {
  const r = await q.query<ChannelPreferenceRow>(
    `SELECT nt.id, nt.name, nt."group", nt.method::text AS method, nt.enabled_by_default, nt.critical,
            np.disabled, np.disabled_methods, np.updated_at
     FROM notification_templates nt
     LEFT JOIN notification_preferences np ON np.notification_template_id = nt.id AND np.user_id = $1
     ORDER BY nt."group", nt.name`,
    [userId],
  );
  return r.rows;
}

/** Stores the user's per-channel choice for these templates (all of them, or none, written). */
export async function setChannelPreferences(
  q: Queryable,
  userId: string,
  rows: { templateId: string; disabled: boolean; disabledMethods: string[] }[],
): Promise<void> {
  if (!rows.length) return;
  await q.query(
    `INSERT INTO notification_preferences (user_id, notification_template_id, disabled, disabled_methods)
     SELECT $1, t.id, t.disabled, COALESCE(t.methods, '{}')
     FROM jsonb_to_recordset($2::jsonb) AS t(id uuid, disabled boolean, methods text[])
     ON CONFLICT (user_id, notification_template_id)
     DO UPDATE SET disabled = EXCLUDED.disabled, disabled_methods = EXCLUDED.disabled_methods, updated_at = now()`,
    [userId, JSON.stringify(rows.map((r) => ({ id: r.templateId, disabled: r.disabled, methods: r.disabledMethods })))],
  );
}


/**
 * The rule of RECIPIENT_OPTED_OUT over template `nt`, the user's preference row `np` (left-joined:
 * NULL when none) and the row `m` being inserted; exported for the enqueue's per-pair form of it.
 */
export const OPTED_OUT_WHEN = `NOT nt.critical
    AND (np.disabled = true OR m.method::text = ANY(np.disabled_methods) OR (nt.enabled_by_default = false AND np.user_id IS NULL))`;

/**
 * The one preference check every insert of a message makes (enqueue, holding for a group, releasing a
 * group): true when user `m.uid` has switched template `m.tid` off for `m.method`, or never switched
 * on an opt-in template. Critical templates are never off. `m` is the row being inserted.
 */
export const RECIPIENT_OPTED_OUT = `EXISTS (
  SELECT 1 FROM notification_templates nt
  LEFT JOIN notification_preferences np ON np.notification_template_id = nt.id AND np.user_id = m.uid
  WHERE nt.id = m.tid AND ${OPTED_OUT_WHEN})`;

import type { Queryable } from '../../db/database.js';
import type { TemplateRules } from './rules.js';

// Rules and groups: the SQL of the grouping service (enqueue and release have theirs in hold.ts / release.ts).

/** A notification_template_rules row: the rules enqueue reads, with their key and time. */
export type TemplateRulesRow = TemplateRules & { template_id: string; updated_at: Date };

export async function getTemplateRules(q: Queryable, templateId: string): Promise<TemplateRulesRow | undefined> {
  return (await q.query<TemplateRulesRow>(`SELECT * FROM notification_template_rules WHERE template_id = $1`, [templateId])).rows[0];
}

export async function upsertTemplateRules(
  q: Queryable,
  r: Pick<TemplateRulesRow, 'template_id' | 'window_seconds' | 'group_key' | 'mode' | 'throttle_count' | 'throttle_period_seconds'>,
  now: Date,
): Promise<TemplateRulesRow> {
  const res = await q.query<TemplateRulesRow>(
    `INSERT INTO notification_template_rules (template_id, window_seconds, group_key, mode, throttle_count, throttle_period_seconds, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (template_id) DO UPDATE SET window_seconds = EXCLUDED.window_seconds, group_key = EXCLUDED.group_key,
       mode = EXCLUDED.mode, throttle_count = EXCLUDED.throttle_count,
       throttle_period_seconds = EXCLUDED.throttle_period_seconds, updated_at = EXCLUDED.updated_at
     RETURNING *`,
    [r.template_id, r.window_seconds, r.group_key, r.mode, r.throttle_count, r.throttle_period_seconds, now],
  );
  return res.rows[0];
}

export interface UserRulesRow {
  user_id: string;
  time_zone: string;
  quiet_start: number | null;
  quiet_end: number | null;
  digest: 'hourly' | 'daily' | null;
  digest_at: number;
  digest_templates: string[] | null;
  updated_at: Date;
}

export async function getUserRules(q: Queryable, userId: string): Promise<UserRulesRow | undefined> {
  return (await q.query<UserRulesRow>(`SELECT * FROM notification_user_rules WHERE user_id = $1`, [userId])).rows[0];
}

export async function putUserRules(q: Queryable, r: Omit<UserRulesRow, 'updated_at'>, now: Date): Promise<UserRulesRow> {
  const res = await q.query<UserRulesRow>(
    `INSERT INTO notification_user_rules (user_id, time_zone, quiet_start, quiet_end, digest, digest_at, digest_templates, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (user_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, quiet_start = EXCLUDED.quiet_start,
       quiet_end = EXCLUDED.quiet_end, digest = EXCLUDED.digest, digest_at = EXCLUDED.digest_at,
       digest_templates = EXCLUDED.digest_templates, updated_at = EXCLUDED.updated_at
     RETURNING *`,
    [r.user_id, r.time_zone, r.quiet_start, r.quiet_end, r.digest, r.digest_at, r.digest_templates, now],
  );
  return res.rows[0];
}

export async function deleteUserRules(q: Queryable, userId: string): Promise<void> {
  await q.query(`DELETE FROM notification_user_rules WHERE user_id = $1`, [userId]);
}

export async function existingTemplates(q: Queryable, ids: string[]): Promise<Set<string>> {
  const r = await q.query<{ id: string }>(`SELECT id FROM notification_templates WHERE id = ANY($1::uuid[])`, [ids]);
  return new Set(r.rows.map((x) => x.id));
}

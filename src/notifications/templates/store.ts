import type { Queryable } from '../../db/database.js';
import type { Action, NotificationMethod } from '../types.js';
import type { NotificationTemplate } from '../../contract/notifications.js';

export interface TemplateRow {
  id: string;
  name: string;
  title_template: string;
  body_template: string;
  actions: Action[] | null;
  group: string | null;
  method: NotificationMethod | null;
  kind: 'system' | 'custom';
  enabled_by_default: boolean;
  /** Cannot be disabled by a user; its e-mail has no "stop receiving" link. */
  critical: boolean;
}

/** The API's NotificationTemplate: actions as a JSON string, method "" for the deployment default. */
/** The API's NotificationTemplate (declared in the contract). */
export type NotificationTemplateJson = NotificationTemplate;

export function toTemplateJson(t: TemplateRow): NotificationTemplateJson {
  return {
    id: t.id,
    name: t.name,
    title_template: t.title_template,
    body_template: t.body_template,
    actions: JSON.stringify(t.actions ?? []),
    group: t.group ?? '',
    method: t.method ?? '',
    kind: t.kind,
    enabled_by_default: t.enabled_by_default,
    critical: t.critical ?? false,
  };
}

export async function listTemplates(q: Queryable, kind?: 'system' | 'custom'): Promise<TemplateRow[]> {
  const r = await q.query<TemplateRow>(
    `SELECT * FROM notification_templates WHERE ($1::notification_template_kind IS NULL OR kind = $1) ORDER BY name`,
    [kind ?? null],
  );
  return r.rows;
}

export async function getTemplate(q: Queryable, id: string): Promise<TemplateRow | undefined> {
  return (await q.query<TemplateRow>(`SELECT * FROM notification_templates WHERE id = $1`, [id])).rows[0];
}

export async function setTemplateMethod(q: Queryable, id: string, method: NotificationMethod | null): Promise<void> {
  await q.query(`UPDATE notification_templates SET method = $2 WHERE id = $1`, [id, method]);
}

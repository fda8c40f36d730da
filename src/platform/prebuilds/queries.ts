import type { Queryable } from '../../db/database.js';
import { PREBUILDS_SYSTEM_USER_ID } from '../../auth/users/queries.js';
import type { PresetMetricLabels } from './metrics.js';

/** A preset of a template's active version that asks for prebuilt workspaces. */
export interface DesiredPreset {
  preset_id: string;
  preset_name: string;
  desired_instances: number;
  prebuild_status: 'healthy' | 'hard_limited' | 'validation_failed';
  template_version_id: string;
  template_version_name: string;
  template_id: string;
  template_name: string;
  deprecated: boolean;
  organization_id: string;
  organization_name: string;
}

export async function desiredPresets(q: Queryable): Promise<DesiredPreset[]> {
  const r = await q.query<DesiredPreset>(
    `SELECT p.id AS preset_id, p.name AS preset_name, p.desired_instances, p.prebuild_status::text AS prebuild_status,
            v.id AS template_version_id, v.name AS template_version_name, t.id AS template_id, t.name AS template_name,
            (t.deprecated <> '') AS deprecated, o.id AS organization_id, o.name AS organization_name
     FROM template_version_presets p
     JOIN template_versions v ON v.id = p.template_version_id
     JOIN templates t ON t.id = v.template_id AND t.active_version_id = v.id AND t.deleted = false
     JOIN organizations o ON o.id = t.organization_id
     WHERE p.desired_instances IS NOT NULL
     ORDER BY o.name, t.name, p.name`,
  );
  return r.rows;
}

/** A live workspace owned by the prebuilds user, with its latest build. */
export interface PrebuiltWorkspace {
  id: string;
  name: string;
  created_at: Date;
  template_id: string;
  build_id: string;
  build_number: number;
  transition: 'start' | 'stop' | 'delete';
  template_version_id: string;
  preset_id: string | null;
  job_status: 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';
  build_created_at: Date;
  job_completed_at: Date | null;
}

export async function prebuiltWorkspaces(q: Queryable): Promise<PrebuiltWorkspace[]> {
  const r = await q.query<PrebuiltWorkspace>(
    `SELECT w.id, w.name, w.created_at, w.template_id, b.id AS build_id, b.build_number, b.transition::text AS transition,
            b.template_version_id, b.template_version_preset_id AS preset_id, j.status::text AS job_status,
            b.created_at AS build_created_at, j.completed_at AS job_completed_at
     FROM workspaces w
     JOIN LATERAL (SELECT * FROM workspace_builds b WHERE b.workspace_id = w.id ORDER BY b.build_number DESC LIMIT 1) b ON true
     JOIN provisioner_jobs j ON j.id = b.job_id
     WHERE w.owner_id = $1 AND w.deleted = false
     ORDER BY w.created_at, w.id`,
    [PREBUILDS_SYSTEM_USER_ID],
  );
  return r.rows;
}

/**
 * The reference's GetPresetsAtFailureLimit: among the latest builds of prebuilt workspaces, the
 * `start` builds of presets (with desired instances) of active versions, newest first per preset;
 * a preset is at the limit when its newest `limit` such builds all failed.
 */
export async function presetsAtFailureLimit(q: Queryable, limit: number): Promise<Set<string>> {
  if (limit <= 0) return new Set();
  const r = await q.query<{ preset_id: string }>(
    `WITH latest AS (
       SELECT DISTINCT ON (b.workspace_id) b.id, b.workspace_id, b.template_version_preset_id AS preset_id,
              b.template_version_id, b.transition, b.created_at, j.status AS job_status
       FROM workspace_builds b
       JOIN workspaces w ON w.id = b.workspace_id
       JOIN provisioner_jobs j ON j.id = b.job_id
       WHERE w.owner_id = $1
       ORDER BY b.workspace_id, b.build_number DESC
     ), ranked AS (
       SELECT l.preset_id, l.job_status,
              row_number() OVER (PARTITION BY l.preset_id ORDER BY l.created_at DESC, l.id DESC) AS rn
       FROM latest l
       JOIN template_version_presets p ON p.id = l.preset_id
       JOIN template_versions v ON v.id = l.template_version_id
       JOIN templates t ON t.id = v.template_id AND t.active_version_id = v.id
       WHERE l.transition = 'start' AND p.desired_instances IS NOT NULL
     )
     SELECT preset_id FROM ranked WHERE rn <= $2
     GROUP BY preset_id
     HAVING count(*) = $2 AND count(*) FILTER (WHERE job_status = 'failed') = $2`,
    [PREBUILDS_SYSTEM_USER_ID, limit],
  );
  return new Set(r.rows.map((x) => x.preset_id));
}

/** Marks a preset hard-limited; true only for the call that made the transition. */
export async function markHardLimited(q: Queryable, presetId: string): Promise<boolean> {
  const r = await q.query(
    `UPDATE template_version_presets SET prebuild_status = 'hard_limited'
     WHERE id = $1 AND prebuild_status <> 'hard_limited' RETURNING id`,
    [presetId],
  );
  return r.rowCount > 0;
}

export async function setPrebuildStatus(q: Queryable, presetId: string, status: 'healthy' | 'hard_limited' | 'validation_failed'): Promise<void> {
  await q.query(`UPDATE template_version_presets SET prebuild_status = $2::prebuild_status WHERE id = $1`, [presetId, status]);
}

/** Metric labels of a preset: template, preset and organization names. */
export async function presetLabels(q: Queryable, presetId: string): Promise<PresetMetricLabels | undefined> {
  const r = await q.query<PresetMetricLabels>(
    `SELECT t.name AS template_name, p.name AS preset_name, o.name AS organization_name
     FROM template_version_presets p
     JOIN template_versions v ON v.id = p.template_version_id
     JOIN templates t ON t.id = v.template_id
     JOIN organizations o ON o.id = t.organization_id
     WHERE p.id = $1`,
    [presetId],
  );
  return r.rows[0];
}

/** The oldest ready prebuilt workspace of a preset, locked for the claim (SKIP LOCKED: racing claims take different ones). */
export async function claimablePrebuild(q: Queryable, presetId: string, versionId: string): Promise<string | undefined> {
  const r = await q.query<{ id: string }>(
    `SELECT w.id FROM workspaces w
     WHERE w.owner_id = $1 AND w.deleted = false
       AND EXISTS (
         SELECT 1 FROM (SELECT b.transition, b.template_version_preset_id, b.template_version_id, b.job_id
                        FROM workspace_builds b WHERE b.workspace_id = w.id ORDER BY b.build_number DESC LIMIT 1) lb
         JOIN provisioner_jobs j ON j.id = lb.job_id
         WHERE lb.transition = 'start' AND j.status = 'succeeded'
           AND lb.template_version_preset_id = $2 AND lb.template_version_id = $3)
     ORDER BY w.created_at, w.id
     LIMIT 1
     FOR UPDATE SKIP LOCKED`,
    [PREBUILDS_SYSTEM_USER_ID, presetId, versionId],
  );
  return r.rows[0]?.id;
}

/** site_configs key of GET/PUT /prebuilds/settings. */
export const PREBUILDS_SETTINGS_KEY = 'prebuilds_settings';

/** Reconciliation paused by an administrator (the reference's prebuilds settings). */
export async function prebuildsPaused(q: Queryable): Promise<boolean> {
  const r = await q.query<{ value: string }>(`SELECT value FROM site_configs WHERE key = $1`, [PREBUILDS_SETTINGS_KEY]);
  if (!r.rows[0]) return false;
  try {
    return JSON.parse(r.rows[0].value).reconciliation_paused === true;
  } catch {
    return false;
  }
}

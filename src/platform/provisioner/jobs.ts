import type { Queryable } from '../../db/database.js';
import { notify } from '../../db/database.js';
import type { LogLine } from './definition.js';

/** NOTIFY channel that wakes provisioners on every replica when a job is queued. */
export const JOB_POSTED_CHANNEL = 'herald_provisioner_job_posted';

/**
 * NOTIFY channel that tells log followers on every replica a job has new log lines or finished;
 * the payload is the job id (delivered when the writer's transaction commits).
 */
export const JOB_LOGS_CHANNEL = 'herald_provisioner_job_logs';

export type JobStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';

export interface JobRow {
  id: string;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  canceled_at: Date | null;
  completed_at: Date | null;
  heartbeat_at: Date | null;
  status: JobStatus;
  error: string | null;
  error_code: string | null;
  organization_id: string;
  initiator_id: string;
  provisioner: 'builtin' | 'external';
  type: 'template_version_import' | 'workspace_build';
  input: { workspace_build_id?: string; template_version_id?: string };
  result: unknown;
  worker_id: string | null;
  provisioner_key_id: string | null;
}

const COLS = `id, created_at, updated_at, started_at, canceled_at, completed_at, heartbeat_at, status::text AS status,
  error, error_code, organization_id, initiator_id, provisioner, type::text AS type, input, result, worker_id, provisioner_key_id`;

export async function insertJob(
  q: Queryable,
  j: { organizationId: string; initiatorId: string; provisioner: 'builtin' | 'external'; type: JobRow['type']; input: JobRow['input'] },
): Promise<string> {
  const r = await q.query<{ id: string }>(
    `INSERT INTO provisioner_jobs (organization_id, initiator_id, provisioner, type, input)
     VALUES ($1, $2, $3, $4::provisioner_job_type, $5::jsonb) RETURNING id`,
    [j.organizationId, j.initiatorId, j.provisioner, j.type, JSON.stringify(j.input)],
  );
  await notify(q, JOB_POSTED_CHANNEL, j.provisioner);
  return r.rows[0].id;
}

export async function getJob(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<JobRow | undefined> {
  const r = await q.query<JobRow>(`SELECT ${COLS} FROM provisioner_jobs WHERE id = $1 ${opts.forUpdate ? 'FOR UPDATE' : ''}`, [id]);
  return r.rows[0];
}

/**
 * Takes the oldest pending job for a provisioner: SKIP LOCKED so concurrent acquirers (replicas,
 * external runners) never take the same job, and the claim is one statement.
 */
export async function acquireJob(
  q: Queryable,
  opts: { provisioner: 'builtin' | 'external'; workerId: string; organizationId?: string; keyId?: string },
): Promise<JobRow | undefined> {
  const r = await q.query<JobRow>(
    `UPDATE provisioner_jobs SET status = 'running', started_at = now(), updated_at = now(), heartbeat_at = now(),
       worker_id = $2, provisioner_key_id = $4
     WHERE id = (
       SELECT id FROM provisioner_jobs
       WHERE status = 'pending' AND provisioner = $1 AND ($3::uuid IS NULL OR organization_id = $3::uuid)
       ORDER BY created_at, id
       FOR UPDATE SKIP LOCKED
       LIMIT 1)
     RETURNING ${COLS}`,
    [opts.provisioner, opts.workerId, opts.organizationId ?? null, opts.keyId ?? null],
  );
  return r.rows[0];
}

export async function heartbeat(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE provisioner_jobs SET heartbeat_at = now() WHERE id = $1 AND status = 'running'`, [id]);
}

/** Marks a running job finished; false when it was not running (already completed, failed or reaped). */
export async function finishJob(
  q: Queryable,
  id: string,
  outcome: { status: 'succeeded' } | { status: 'failed'; error: string; errorCode?: string } | { status: 'canceled'; error?: string },
  result?: unknown,
): Promise<boolean> {
  const r = await q.query(
    `UPDATE provisioner_jobs SET status = $2::provisioner_job_status, completed_at = now(), updated_at = now(),
       error = $3, error_code = $4, result = $5::jsonb,
       canceled_at = CASE WHEN $2 = 'canceled' THEN now() ELSE canceled_at END
     WHERE id = $1 AND status = 'running'`,
    [
      id,
      outcome.status,
      'error' in outcome ? (outcome.error ?? null) : null,
      outcome.status === 'failed' ? (outcome.errorCode ?? null) : null,
      result === undefined ? null : JSON.stringify(result),
    ],
  );
  if (r.rowCount > 0) await notify(q, JOB_LOGS_CHANNEL, id);
  return r.rowCount > 0;
}

/** Gives a running job back to the queue (a runner shutting down before it started work). */
export async function requeueJob(q: Queryable, id: string): Promise<void> {
  await q.query(
    `UPDATE provisioner_jobs SET status = 'pending', started_at = NULL, heartbeat_at = NULL, worker_id = NULL,
       provisioner_key_id = NULL, updated_at = now() WHERE id = $1 AND status = 'running'`,
    [id],
  );
  await notify(q, JOB_POSTED_CHANNEL, 'requeued');
}

export async function appendLogs(q: Queryable, jobId: string, logs: LogLine[], source: 'provisioner' | 'provisioner_daemon' = 'provisioner'): Promise<void> {
  if (!logs.length) return;
  await q.query(
    `INSERT INTO provisioner_job_logs (job_id, source, level, stage, output)
     SELECT $1, $2, l, s, o FROM unnest($3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS x(l, s, o, n) ORDER BY n`,
    [jobId, source, logs.map((l) => l.level ?? 'info'), logs.map((l) => l.stage ?? ''), logs.map((l) => l.output)],
  );
  await notify(q, JOB_LOGS_CHANNEL, jobId);
}

export interface LogRow {
  id: number;
  created_at: Date;
  source: string;
  level: string;
  stage: string;
  output: string;
}

export async function getLogs(q: Queryable, jobId: string, after = 0): Promise<LogRow[]> {
  const r = await q.query<LogRow>(
    `SELECT id::int AS id, created_at, source, level, stage, output FROM provisioner_job_logs
     WHERE job_id = $1 AND id > $2 ORDER BY id`,
    [jobId, after],
  );
  return r.rows;
}

/** Running jobs whose runner stopped reporting for longer than the timeout (locked for the caller). */
export async function hungJobs(q: Queryable, timeoutMs: number): Promise<JobRow[]> {
  const r = await q.query<JobRow>(
    `SELECT ${COLS} FROM provisioner_jobs
     WHERE status = 'running' AND heartbeat_at < now() - ($1::bigint * interval '1 millisecond')
     ORDER BY heartbeat_at LIMIT 100 FOR UPDATE SKIP LOCKED`,
    [timeoutMs],
  );
  return r.rows;
}

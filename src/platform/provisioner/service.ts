import { isUniqueViolation, type Database, type Queryable } from '../../db/database.js';
import { Conflict, Invalid, NotFound, Unauthorized } from '../../lib/errors.js';
import * as keys from './keys.js';
import { acquireJob, appendLogs, getJob, heartbeat, type JobRow } from './jobs.js';
import { completeJob, failJob, type JobDeps } from './complete.js';
import { DefinitionError, parseLogLine, parseOutcome, type LogLine } from './definition.js';
import * as wq from '../workspaces/queries.js';
import { getUserById } from '../../auth/users/queries.js';
import { getVersion } from '../templates/queries.js';

export type ProvisionerKey = keys.ProvisionerKeyRow;

export interface ProvisionerKeyJson {
  id: string;
  created_at: string;
  organization: string;
  name: string;
  tags: Record<string, string>;
}

export interface ProvisionerService {
  createKey(orgId: string, name: string, createdBy: string): Promise<{ key: string }>;
  listKeys(orgId: string): Promise<ProvisionerKeyJson[]>;
  deleteKey(orgId: string, name: string): Promise<void>;

  /** The key sent in the Coder-Provisioner-Key header; Unauthorized when missing or wrong. */
  authenticate(header: string | undefined): Promise<ProvisionerKey>;
  /** The oldest pending external job of the key's organization, or undefined when there is none. */
  acquire(key: ProvisionerKey, workerId: string | undefined): Promise<AcquiredJobJson | undefined>;
  appendLogs(key: ProvisionerKey, jobId: string, logs: unknown[]): Promise<void>;
  heartbeat(key: ProvisionerKey, jobId: string): Promise<void>;
  complete(key: ProvisionerKey, jobId: string, body: unknown): Promise<void>;
  fail(key: ProvisionerKey, jobId: string, failure: { error: string; error_code?: string; logs?: unknown[] }): Promise<void>;
}

export type AcquiredJobJson = Awaited<ReturnType<typeof presentAcquired>>;

function parseLogs(raw: unknown[] | undefined): LogLine[] {
  try {
    return (raw ?? []).map((l, i) => parseLogLine(l, `logs[${i}]`));
  } catch (err) {
    if (err instanceof DefinitionError) throw new Invalid('Invalid logs.', err.message, [{ field: err.field, detail: err.message }]);
    throw err;
  }
}

/** A running job this key acquired. */
function ownJob(job: JobRow | undefined, key: ProvisionerKey): JobRow {
  if (!job || job.provisioner !== 'external' || job.organization_id !== key.organization_id) throw new NotFound('Provisioner job not found.');
  if (job.provisioner_key_id !== key.id) throw new Conflict('The job was acquired by another provisioner.');
  if (job.status !== 'running') throw new Conflict(`The job is ${job.status}, not running.`, job.error ?? undefined);
  return job;
}

/** What an external provisioner is handed with a job: the build and the definition to run. */
async function presentAcquired(q: Queryable, job: JobRow) {
  const build = await wq.getBuildByJob(q, job.id);
  const version = job.input.template_version_id ? await getVersion(q, job.input.template_version_id) : undefined;
  let workspace_build = null;
  if (build) {
    const w = (await wq.getWorkspace(q, build.workspace_id))!;
    const owner = (await getUserById(q, w.owner_id)) ?? { id: w.owner_id, username: w.owner_username, email: '', name: '' };
    workspace_build = {
      workspace_build_id: build.id,
      workspace_id: w.id,
      workspace_name: w.name,
      workspace_owner: { id: owner.id, username: owner.username, email: owner.email, name: owner.name },
      organization_name: w.organization_name,
      template_id: w.template_id,
      template_name: w.template_name,
      template_version_id: build.template_version_id,
      template_version_name: build.template_version_name,
      transition: build.transition,
      build_number: build.build_number,
      reason: build.reason,
      prebuild_stage: build.prebuild_stage,
      template_version_preset_id: build.template_version_preset_id,
      rich_parameter_values: await wq.buildParameters(q, build.id),
      definition: version?.definition ?? {},
    };
  }
  return { job_id: job.id, created_at: job.created_at.toISOString(), type: job.type, workspace_build };
}

/** Provisioner keys and the external provisioner's job protocol. */
export function createProvisionerService(deps: JobDeps & { db: Database }): ProvisionerService {
  const { db } = deps;

  /** Runs fn in a transaction with the running job this key acquired, locked. */
  const withOwnJob = <T>(key: ProvisionerKey, jobId: string, fn: (q: Queryable, job: JobRow) => Promise<T>): Promise<T> =>
    db.tx(async (q) => fn(q, ownJob(await getJob(q, jobId, { forUpdate: true }), key)));

  return {
    async createKey(orgId, name, createdBy) {
      try {
        return { key: (await keys.createProvisionerKey(db, orgId, name, createdBy)).key };
      } catch (err) {
        if (isUniqueViolation(err)) throw new Conflict(`A provisioner key with name "${name}" already exists.`);
        throw err;
      }
    },
    async listKeys(orgId) {
      return (await keys.listProvisionerKeys(db, orgId)).map((k) => ({
        id: k.id,
        created_at: k.created_at.toISOString(),
        organization: k.organization_id,
        name: k.name,
        tags: {},
      }));
    },
    async deleteKey(orgId, name) {
      if (!(await keys.deleteProvisionerKey(db, orgId, name))) throw new NotFound();
    },

    async authenticate(header) {
      if (!header) throw new Unauthorized('Provisioner key required.', 'Send the key in the Coder-Provisioner-Key header.');
      const key = await keys.checkProvisionerKey(db, header);
      if (!key) throw new Unauthorized('Invalid provisioner key.');
      return key;
    },
    async acquire(key, workerId) {
      const job = await db.tx((q) =>
        acquireJob(q, { provisioner: 'external', organizationId: key.organization_id, keyId: key.id, workerId: workerId || `key:${key.name}` }),
      );
      return job ? presentAcquired(db, job) : undefined;
    },
    async appendLogs(key, jobId, raw) {
      const logs = parseLogs(raw);
      await withOwnJob(key, jobId, async (q, job) => {
        await appendLogs(q, job.id, logs);
        await heartbeat(q, job.id);
      });
    },
    async heartbeat(key, jobId) {
      await withOwnJob(key, jobId, (q, job) => heartbeat(q, job.id));
    },
    async complete(key, jobId, body) {
      let outcome;
      try {
        outcome = parseOutcome(body);
      } catch (err) {
        if (err instanceof DefinitionError) throw new Invalid('Invalid completed job.', `${err.field}: ${err.message}`, [{ field: err.field, detail: err.message }]);
        throw err;
      }
      await withOwnJob(key, jobId, async (q, job) => {
        const build = await wq.getBuildByJob(q, job.id);
        // Stopped and deleted workspaces carry no AI task.
        if (build && build.transition !== 'start') {
          outcome.has_ai_task = undefined;
          outcome.ai_task_sidebar_app = undefined;
        }
        await completeJob(deps, q, job, outcome);
      });
    },
    async fail(key, jobId, f) {
      const logs = parseLogs(f.logs);
      await withOwnJob(key, jobId, async (q, job) => {
        await appendLogs(q, job.id, logs);
        await failJob(deps, q, job, f.error, f.error_code);
      });
    },
  };
}

import { createDirectory } from '../../platform/directory.js';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { authorize, requestAuth } from '../auth.js';
import { badRequest, conflict, notFound, unauthorized } from '../errors.js';
import { errors } from '../../contract/common.js';
import {
  AcquireJob as Acquire,
  CompleteJob as Complete,
  CreateProvisionerKey as CreateKey,
  FailJob as Fail,
  JobLogs as Logs,
  JobParam,
  PROVISIONER_KEY_HEADER,
  ProvisionerKeyParam as KeyParam,
} from '../../contract/provisioner.js';
import { isUniqueViolation, type Queryable } from '../../db/database.js';
import { OrgParam, orgParam } from '../params.js';
import * as keys from '../../platform/provisioner/keys.js';
import { acquireJob, appendLogs, getJob, heartbeat, type JobRow } from '../../platform/provisioner/jobs.js';
import { completeJob, failJob } from '../../platform/provisioner/complete.js';
import { DefinitionError, parseLogLine, parseOutcome, type LogLine } from '../../platform/provisioner/definition.js';
import * as wq from '../../platform/workspaces/queries.js';
import { getUserById } from '../../platform/users/queries.js';
import { getVersion } from '../../platform/templates/queries.js';

function parseLogs(raw: unknown[] | undefined): LogLine[] {
  try {
    return (raw ?? []).map((l, i) => parseLogLine(l, `logs[${i}]`));
  } catch (err) {
    if (err instanceof DefinitionError) throw badRequest('Invalid logs.', err.message, [{ field: err.field, detail: err.message }]);
    throw err;
  }
}

/** Provisioner keys: created by owners, shown once. */
export async function provisionerKeyRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;
  const tags = ['Provisioning'];
  const org = (value: string) => orgParam(createDirectory(db), value);

  app.post<{ Params: Static<typeof OrgParam>; Body: Static<typeof CreateKey> }>(
    '/organizations/:organization/provisionerkeys',
    { schema: { tags, params: OrgParam, body: CreateKey, response: errors(400, 401, 403, 404, 409) } },
    async (req, reply) => {
      const actor = authorize(req, 'provisioner_key:manage');
      const o = await org(req.params.organization);
      try {
        const k = await keys.createProvisionerKey(db, o.id, req.body.name, actor.user.id);
        return reply.status(201).send({ key: k.key });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`A provisioner key with name "${req.body.name}" already exists.`);
        throw err;
      }
    },
  );

  app.get<{ Params: Static<typeof OrgParam> }>(
    '/organizations/:organization/provisionerkeys',
    { schema: { tags, params: OrgParam, response: errors(401, 403, 404) } },
    async (req) => {
      authorize(req, 'provisioner_key:manage');
      const o = await org(req.params.organization);
      return (await keys.listProvisionerKeys(db, o.id)).map((k) => ({
        id: k.id,
        created_at: k.created_at.toISOString(),
        organization: k.organization_id,
        name: k.name,
        tags: {},
      }));
    },
  );

  app.delete<{ Params: Static<typeof KeyParam> }>(
    '/organizations/:organization/provisionerkeys/:name',
    { schema: { tags, params: KeyParam, response: errors(401, 403, 404) } },
    async (req, reply) => {
      authorize(req, 'provisioner_key:manage');
      const o = await org(req.params.organization);
      if (!(await keys.deleteProvisionerKey(db, o.id, req.params.name))) throw notFound();
      return reply.status(204).send();
    },
  );
}

/** The external provisioner's job API, authenticated by a provisioner key (header Coder-Provisioner-Key). */
export async function provisionerDaemonRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;
  const tags = ['Provisioning'];
  const security = [{ ProvisionerKey: [] }];

  const keyAuth = requestAuth(async (req: FastifyRequest): Promise<keys.ProvisionerKeyRow> => {
    const h = req.headers[PROVISIONER_KEY_HEADER];
    if (typeof h !== 'string' || !h) throw unauthorized('Provisioner key required.', 'Send the key in the Coder-Provisioner-Key header.');
    const key = await keys.checkProvisionerKey(db, h);
    if (!key) throw unauthorized('Invalid provisioner key.');
    return key;
  });
  const keyOf = keyAuth.get;

  /** Runs fn in a transaction with the running job this request's key acquired, locked. */
  async function withOwnJob<T>(req: FastifyRequest<{ Params: Static<typeof JobParam> }>, fn: (q: Queryable, job: JobRow) => Promise<T>): Promise<T> {
    const key = await keyOf(req);
    return db.tx(async (q) => fn(q, ownJob(await getJob(q, req.params.job, { forUpdate: true }), key)));
  }

  /** A running job this key acquired. */
  function ownJob(job: JobRow | undefined, key: keys.ProvisionerKeyRow): JobRow {
    if (!job || job.provisioner !== 'external' || job.organization_id !== key.organization_id) throw notFound('Provisioner job not found.');
    if (job.provisioner_key_id !== key.id) throw conflict('The job was acquired by another provisioner.');
    if (job.status !== 'running') throw conflict(`The job is ${job.status}, not running.`, job.error ?? undefined);
    return job;
  }

  app.post<{ Body: Static<typeof Acquire> }>(
    '/provisionerdaemons/jobs/acquire',
    { onRequest: keyAuth.onRequest, schema: { tags, security, body: Acquire, response: errors(401) } },
    async (req, reply) => {
      const key = await keyOf(req);
      const job = await db.tx((q) =>
        acquireJob(q, {
          provisioner: 'external',
          organizationId: key.organization_id,
          keyId: key.id,
          workerId: req.body?.worker_id || `key:${key.name}`,
        }),
      );
      if (!job) return reply.status(204).send();
      const build = await wq.getBuildByJob(db, job.id);
      const version = job.input.template_version_id ? await getVersion(db, job.input.template_version_id) : undefined;
      let workspace_build = null;
      if (build) {
        const w = (await wq.getWorkspace(db, build.workspace_id))!;
        const owner = (await getUserById(db, w.owner_id)) ?? { id: w.owner_id, username: w.owner_username, email: '', name: '' };
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
          rich_parameter_values: await wq.buildParameters(db, build.id),
          definition: version?.definition ?? {},
        };
      }
      return { job_id: job.id, created_at: job.created_at.toISOString(), type: job.type, workspace_build };
    },
  );

  app.post<{ Params: Static<typeof JobParam>; Body: Static<typeof Logs> }>(
    '/provisionerdaemons/jobs/:job/logs',
    { onRequest: keyAuth.onRequest, schema: { tags, security, params: JobParam, body: Logs, response: errors(400, 401, 404, 409) } },
    async (req, reply) => {
      const logs = parseLogs(req.body.logs);
      await withOwnJob(req, async (q, job) => {
        await appendLogs(q, job.id, logs);
        await heartbeat(q, job.id);
      });
      return reply.status(204).send();
    },
  );

  app.post<{ Params: Static<typeof JobParam> }>(
    '/provisionerdaemons/jobs/:job/heartbeat',
    { onRequest: keyAuth.onRequest, schema: { tags, security, params: JobParam, response: errors(401, 404, 409) } },
    async (req, reply) => {
      await withOwnJob(req, (q, job) => heartbeat(q, job.id));
      return reply.status(204).send();
    },
  );

  app.post<{ Params: Static<typeof JobParam>; Body: Static<typeof Complete> }>(
    '/provisionerdaemons/jobs/:job/complete',
    { onRequest: keyAuth.onRequest, schema: { tags, security, params: JobParam, body: Complete, response: errors(400, 401, 404, 409) } },
    async (req, reply) => {
      let outcome;
      try {
        outcome = parseOutcome(req.body);
      } catch (err) {
        if (err instanceof DefinitionError) throw badRequest('Invalid completed job.', `${err.field}: ${err.message}`, [{ field: err.field, detail: err.message }]);
        throw err;
      }
      await withOwnJob(req, async (q, job) => {
        const build = await wq.getBuildByJob(q, job.id);
        // Stopped and deleted workspaces carry no AI task.
        if (build && build.transition !== 'start') {
          outcome.has_ai_task = undefined;
          outcome.ai_task_sidebar_app = undefined;
        }
        await completeJob(ctx, q, job, outcome);
      });
      return reply.status(204).send();
    },
  );

  app.post<{ Params: Static<typeof JobParam>; Body: Static<typeof Fail> }>(
    '/provisionerdaemons/jobs/:job/fail',
    { onRequest: keyAuth.onRequest, schema: { tags, security, params: JobParam, body: Fail, response: errors(400, 401, 404, 409) } },
    async (req, reply) => {
      const logs = parseLogs(req.body.logs);
      await withOwnJob(req, async (q, job) => {
        await appendLogs(q, job.id, logs);
        await failJob(ctx, q, job, req.body.error, req.body.error_code);
      });
      return reply.status(204).send();
    },
  );
}

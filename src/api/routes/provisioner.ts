import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorize, requestAuth } from '../auth.js';
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
import { OrgParam, orgParam } from '../params.js';
import type { Directory } from '../../platform/directory.js';
import type { ProvisionerKey, ProvisionerService } from '../../platform/provisioner/service.js';


/** Provisioner keys: created by owners, shown once. */
export async function provisionerKeyRoutes(app: FastifyInstance, p: { provisioners: ProvisionerService; directory: Directory }): Promise<void> {
  const tags = ['Provisioning'];
  const org = (value: string) => orgParam(p.directory, value);

  app.post<{ Params: Static<typeof OrgParam>; Body: Static<typeof CreateKey> }>(
    '/organizations/:organization/provisionerkeys',
    { schema: { tags, params: OrgParam, body: CreateKey, response: errors(400, 401, 403, 404, 409) } },
    async (req, reply) => {
      const actor = authorize(req, 'provisioner_key:manage');
      const o = await org(req.params.organization);
      return reply.status(201).send(await p.provisioners.createKey(o.id, req.body.name, actor.user.id));
    },
  );

  app.get<{ Params: Static<typeof OrgParam> }>(
    '/organizations/:organization/provisionerkeys',
    { schema: { tags, params: OrgParam, response: errors(401, 403, 404) } },
    async (req) => {
      authorize(req, 'provisioner_key:manage');
      return p.provisioners.listKeys((await org(req.params.organization)).id);
    },
  );

  app.delete<{ Params: Static<typeof KeyParam> }>(
    '/organizations/:organization/provisionerkeys/:name',
    { schema: { tags, params: KeyParam, response: errors(401, 403, 404) } },
    async (req, reply) => {
      authorize(req, 'provisioner_key:manage');
      await p.provisioners.deleteKey((await org(req.params.organization)).id, req.params.name);
      return reply.status(204).send();
    },
  );
}

/** The external provisioner's job API, authenticated by a provisioner key (header Coder-Provisioner-Key). */
export async function provisionerDaemonRoutes(app: FastifyInstance, provisioners: ProvisionerService): Promise<void> {
  const tags = ['Provisioning'];
  const security = [{ ProvisionerKey: [] }];

  const keyAuth = requestAuth((req: FastifyRequest): Promise<ProvisionerKey> => {
    const h = req.headers[PROVISIONER_KEY_HEADER];
    return provisioners.authenticate(typeof h === 'string' ? h : undefined);
  });
  const keyOf = keyAuth.get;

  app.post<{ Body: Static<typeof Acquire> }>(
    '/provisionerdaemons/jobs/acquire',
    { onRequest: keyAuth.onRequest, schema: { tags, security, body: Acquire, response: errors(401) } },
    async (req, reply) => {
      const job = await provisioners.acquire(await keyOf(req), req.body?.worker_id);
      if (!job) return reply.status(204).send();
      return job;
    },
  );

  app.post<{ Params: Static<typeof JobParam>; Body: Static<typeof Logs> }>(
    '/provisionerdaemons/jobs/:job/logs',
    { onRequest: keyAuth.onRequest, schema: { tags, security, params: JobParam, body: Logs, response: errors(400, 401, 404, 409) } },
    async (req, reply) => {
      await provisioners.appendLogs(await keyOf(req), req.params.job, req.body.logs);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: Static<typeof JobParam> }>(
    '/provisionerdaemons/jobs/:job/heartbeat',
    { onRequest: keyAuth.onRequest, schema: { tags, security, params: JobParam, response: errors(401, 404, 409) } },
    async (req, reply) => {
      await provisioners.heartbeat(await keyOf(req), req.params.job);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: Static<typeof JobParam>; Body: Static<typeof Complete> }>(
    '/provisionerdaemons/jobs/:job/complete',
    { onRequest: keyAuth.onRequest, schema: { tags, security, params: JobParam, body: Complete, response: errors(400, 401, 404, 409) } },
    async (req, reply) => {
      await provisioners.complete(await keyOf(req), req.params.job, req.body);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: Static<typeof JobParam>; Body: Static<typeof Fail> }>(
    '/provisionerdaemons/jobs/:job/fail',
    { onRequest: keyAuth.onRequest, schema: { tags, security, params: JobParam, body: Fail, response: errors(400, 401, 404, 409) } },
    async (req, reply) => {
      await provisioners.fail(await keyOf(req), req.params.job, req.body);
      return reply.status(204).send();
    },
  );
}

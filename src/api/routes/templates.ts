import { createDirectory } from '../../platform/directory.js';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { actorOf, authorize } from '../auth.js';
import { notFound } from '../errors.js';
import { errors } from '../../contract/common.js';
import {
  CreateTemplate,
  CreateTemplateVersion as CreateVersion,
  PromoteVersion as Promote,
  TemplateIdParam as IdParam,
  TemplateListQuery as ListQuery,
  UpdateTemplate,
  VersionParam,
} from '../../contract/templates.js';
import { OrgParam, orgParam } from '../params.js';
import * as tq from '../../platform/templates/queries.js';
import * as service from '../../platform/templates/service.js';
import { presentParameter, presentPreset, presentTemplate, presentVersion } from '../../platform/templates/present.js';

const tags = ['Templates'];

export async function templateRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;

  const org = (value: string) => orgParam(createDirectory(db), value);
  async function template(req: FastifyRequest, id: string) {
    actorOf(req);
    const t = await tq.getTemplate(db, id);
    if (!t) throw notFound();
    return t;
  }

  app.post<{ Params: Static<typeof OrgParam>; Body: Static<typeof CreateVersion> }>(
    '/organizations/:organization/templateversions',
    { schema: { tags, params: OrgParam, body: CreateVersion, response: errors(400, 401, 403, 404, 409) } },
    async (req, reply) => {
      const actor = authorize(req, 'template:create');
      const o = await org(req.params.organization);
      const id = await db.tx((q) => service.createVersion(q, o.id, actor.user, req.body));
      return reply.status(201).send(presentVersion((await tq.getVersion(db, id))!));
    },
  );

  app.get<{ Params: Static<typeof VersionParam> }>(
    '/templateversions/:templateversion',
    { schema: { tags, params: VersionParam, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      const v = await tq.getVersion(db, req.params.templateversion);
      if (!v) throw notFound();
      return presentVersion(v);
    },
  );

  app.get<{ Params: Static<typeof VersionParam> }>(
    '/templateversions/:templateversion/rich-parameters',
    { schema: { tags, params: VersionParam, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      const v = await tq.getVersion(db, req.params.templateversion);
      if (!v) throw notFound();
      return (await tq.getParameters(db, v.id)).map(presentParameter);
    },
  );

  app.get<{ Params: Static<typeof VersionParam> }>(
    '/templateversions/:templateversion/presets',
    { schema: { tags, params: VersionParam, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      const v = await tq.getVersion(db, req.params.templateversion);
      if (!v) throw notFound();
      return (await tq.getPresets(db, v.id)).map(presentPreset);
    },
  );

  app.post<{ Params: Static<typeof OrgParam>; Body: Static<typeof CreateTemplate> }>(
    '/organizations/:organization/templates',
    { schema: { tags, params: OrgParam, body: CreateTemplate, response: errors(400, 401, 403, 404, 409) } },
    async (req, reply) => {
      const actor = authorize(req, 'template:create');
      const o = await org(req.params.organization);
      const id = await db.tx((q) => service.createTemplate(q, o.id, actor.user, req.body));
      return reply.status(201).send(presentTemplate((await tq.getTemplate(db, id))!));
    },
  );

  app.get<{ Params: Static<typeof OrgParam>; Querystring: Static<typeof ListQuery> }>(
    '/organizations/:organization/templates',
    { schema: { tags, params: OrgParam, querystring: ListQuery, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      const o = await org(req.params.organization);
      return (await tq.listTemplates(db, o.id, { deprecated: req.query.deprecated })).map(presentTemplate);
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/templates',
    { schema: { tags, querystring: ListQuery, response: errors(401) } },
    async (req) => {
      actorOf(req);
      return (await tq.listTemplates(db, undefined, { deprecated: req.query.deprecated })).map(presentTemplate);
    },
  );

  app.get<{ Params: Static<typeof OrgParam> & { name: string } }>(
    '/organizations/:organization/templates/:name',
    { schema: { tags, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      const o = await org(req.params.organization);
      const t = await tq.getTemplateByName(db, o.id, req.params.name);
      if (!t) throw notFound();
      return presentTemplate(t);
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/templates/:id',
    { schema: { tags, params: IdParam, response: errors(401, 404) } },
    async (req) => presentTemplate(await template(req, req.params.id)),
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/templates/:id/versions',
    { schema: { tags, params: IdParam, response: errors(401, 404) } },
    async (req) => {
      const t = await template(req, req.params.id);
      return (await tq.listVersions(db, t.id)).map(presentVersion);
    },
  );

  app.patch<{ Params: Static<typeof IdParam>; Body: Static<typeof Promote> }>(
    '/templates/:id/versions',
    { schema: { tags, params: IdParam, body: Promote, response: errors(400, 401, 403, 404) } },
    async (req) => {
      authorize(req, 'template:update');
      const t = await template(req, req.params.id);
      await db.tx((q) => service.promoteVersion(q, t, req.body.id));
      return { message: 'Updated the active template version!' };
    },
  );

  app.patch<{ Params: Static<typeof IdParam>; Body: Static<typeof UpdateTemplate> }>(
    '/templates/:id',
    { schema: { tags, params: IdParam, body: UpdateTemplate, response: errors(400, 401, 403, 404, 409) } },
    async (req) => {
      authorize(req, 'template:update');
      const t = await template(req, req.params.id);
      await db.tx(async (q) => {
        const locked = await tq.getTemplate(q, t.id, { forUpdate: true });
        if (!locked) throw notFound();
        await service.updateTemplate(ctx, q, locked, req.body);
      });
      return presentTemplate((await tq.getTemplate(db, t.id))!);
    },
  );

  app.delete<{ Params: Static<typeof IdParam> }>(
    '/templates/:id',
    { schema: { tags, params: IdParam, response: errors(400, 401, 403, 404) } },
    async (req) => {
      const actor = authorize(req, 'template:delete');
      const t = await template(req, req.params.id);
      await db.tx(async (q) => {
        const locked = await tq.getTemplate(q, t.id, { forUpdate: true });
        if (!locked) throw notFound();
        await service.deleteTemplate(ctx, q, locked, actor.user);
      });
      return { message: 'Template has been deleted!' };
    },
  );
}

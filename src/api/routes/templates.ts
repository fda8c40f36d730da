import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, authorize } from '../auth.js';
import { errors } from '../../contract/common.js';
import {
  CreateTemplate,
  CreateTemplateVersion as CreateVersion,
  PromoteVersion as Promote,
  TemplateIdParam as IdParam,
  TemplateListQuery as ListQuery,
  UpdateTemplate,
  VersionByNameParam,
  VersionParam,
} from '../../contract/templates.js';
import { OrgParam, orgParam } from '../params.js';
import type { Directory } from '../../platform/directory.js';
import type { TemplateService } from '../../platform/templates/service.js';

const tags = ['Templates'];

export async function templateRoutes(app: FastifyInstance, p: { templates: TemplateService; directory: Directory }): Promise<void> {
  const templates = p.templates;
  const org = (value: string) => orgParam(p.directory, value);

  app.post<{ Params: Static<typeof OrgParam>; Body: Static<typeof CreateVersion> }>(
    '/organizations/:organization/templateversions',
    { schema: { tags, params: OrgParam, body: CreateVersion, response: errors(400, 401, 403, 404, 409) } },
    async (req, reply) => {
      const actor = authorize(req, 'template:create');
      const o = await org(req.params.organization);
      return reply.status(201).send(await templates.createVersion(o.id, actor.user, req.body));
    },
  );

  app.get<{ Params: Static<typeof VersionParam> }>(
    '/templateversions/:templateversion',
    { schema: { tags, params: VersionParam, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      return templates.getVersion(req.params.templateversion);
    },
  );

  app.get<{ Params: Static<typeof VersionParam> }>(
    '/templateversions/:templateversion/rich-parameters',
    { schema: { tags, params: VersionParam, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      return templates.versionParameters(req.params.templateversion);
    },
  );

  app.get<{ Params: Static<typeof VersionParam> }>(
    '/templateversions/:templateversion/presets',
    { schema: { tags, params: VersionParam, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      return templates.versionPresets(req.params.templateversion);
    },
  );

  app.post<{ Params: Static<typeof OrgParam>; Body: Static<typeof CreateTemplate> }>(
    '/organizations/:organization/templates',
    { schema: { tags, params: OrgParam, body: CreateTemplate, response: errors(400, 401, 403, 404, 409) } },
    async (req, reply) => {
      const actor = authorize(req, 'template:create');
      const o = await org(req.params.organization);
      return reply.status(201).send(await templates.createTemplate(o.id, actor.user, req.body));
    },
  );

  app.get<{ Params: Static<typeof OrgParam>; Querystring: Static<typeof ListQuery> }>(
    '/organizations/:organization/templates',
    { schema: { tags, params: OrgParam, querystring: ListQuery, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      const o = await org(req.params.organization);
      return templates.listTemplates(o.id, { deprecated: req.query.deprecated });
    },
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/templates',
    { schema: { tags, querystring: ListQuery, response: errors(401) } },
    async (req) => {
      actorOf(req);
      return templates.listTemplates(undefined, { deprecated: req.query.deprecated });
    },
  );

  app.get<{ Params: Static<typeof OrgParam> & { name: string } }>(
    '/organizations/:organization/templates/:name',
    { schema: { tags, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      const o = await org(req.params.organization);
      return templates.getTemplateByName(o.id, req.params.name);
    },
  );

  app.get<{ Params: Static<typeof VersionByNameParam> }>(
    '/organizations/:organization/templates/:name/versions/:versionname',
    { schema: { tags, description: 'Reference compatibility (notification links): a template version by template name and version name.', params: VersionByNameParam, response: errors(400, 401, 404) } },
    async (req) => {
      actorOf(req);
      const o = await org(req.params.organization);
      return templates.getVersionByName(o.id, req.params.name, req.params.versionname);
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/templates/:id',
    { schema: { tags, params: IdParam, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      return templates.getTemplate(req.params.id);
    },
  );

  app.get<{ Params: Static<typeof IdParam> }>(
    '/templates/:id/versions',
    { schema: { tags, params: IdParam, response: errors(401, 404) } },
    async (req) => {
      actorOf(req);
      return templates.listVersions(req.params.id);
    },
  );

  app.patch<{ Params: Static<typeof IdParam>; Body: Static<typeof Promote> }>(
    '/templates/:id/versions',
    { schema: { tags, params: IdParam, body: Promote, response: errors(400, 401, 403, 404) } },
    async (req) => {
      authorize(req, 'template:update');
      await templates.promoteVersion(req.params.id, req.body.id);
      return { message: 'Updated the active template version!' };
    },
  );

  app.patch<{ Params: Static<typeof IdParam>; Body: Static<typeof UpdateTemplate> }>(
    '/templates/:id',
    { schema: { tags, params: IdParam, body: UpdateTemplate, response: errors(400, 401, 403, 404, 409) } },
    async (req) => {
      authorize(req, 'template:update');
      return templates.updateTemplate(req.params.id, req.body);
    },
  );

  app.delete<{ Params: Static<typeof IdParam> }>(
    '/templates/:id',
    { schema: { tags, params: IdParam, response: errors(400, 401, 403, 404) } },
    async (req) => {
      const actor = authorize(req, 'template:delete');
      await templates.deleteTemplate(req.params.id, actor.user);
      return { message: 'Template has been deleted!' };
    },
  );
}

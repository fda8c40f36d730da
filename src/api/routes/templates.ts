import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, authorize } from '../auth.js';
import { errors, Uuid } from '../../contract/common.js';
import { TemplateScheduleFields } from '../../contract/lifecycle.js';
import { OrgParam, orgParam } from '../params.js';
import type { Directory } from '../../platform/directory.js';
import type { TemplateService } from '../../platform/templates/service.js';

const tags = ['Templates'];
const TemplateName = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$' });
const VersionName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9._-]+$' });
const IdParam = Type.Object({ id: Uuid });
const VersionParam = Type.Object({ templateversion: Uuid });
const NameValue = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), value: Type.String({ maxLength: 65536 }) });

const Parameter = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    display_name: Type.Optional(Type.String({ maxLength: 128 })),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    type: Type.Optional(Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('bool'), Type.Literal('list(string)')])),
    mutable: Type.Optional(Type.Boolean()),
    default_value: Type.Optional(Type.String({ maxLength: 65536 })),
    icon: Type.Optional(Type.String({ maxLength: 256 })),
    options: Type.Optional(
      Type.Array(
        Type.Object({
          name: Type.String({ maxLength: 128 }),
          value: Type.String({ maxLength: 4096 }),
          description: Type.Optional(Type.String({ maxLength: 4096 })),
          icon: Type.Optional(Type.String({ maxLength: 256 })),
        }),
        { maxItems: 64 },
      ),
    ),
    validation_regex: Type.Optional(Type.String({ maxLength: 1024 })),
    validation_min: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    validation_max: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    validation_error: Type.Optional(Type.String({ maxLength: 1024 })),
    validation_monotonic: Type.Optional(Type.Union([Type.Literal(''), Type.Literal('increasing'), Type.Literal('decreasing')])),
    required: Type.Optional(Type.Boolean()),
    ephemeral: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const Preset = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    parameters: Type.Optional(Type.Array(NameValue, { maxItems: 128 })),
    desired_instances: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1000 }), Type.Null()])),
    invalidate_after_secs: Type.Optional(Type.Integer({ minimum: 0 })),
    scheduling_timezone: Type.Optional(Type.String({ maxLength: 64 })),
    default: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 128 })),
    icon: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);

const CreateVersion = Type.Object({
  name: Type.Optional(VersionName),
  message: Type.Optional(Type.String({ maxLength: 1048576 })),
  readme: Type.Optional(Type.String({ maxLength: 1048576 })),
  template_id: Type.Optional(Uuid),
  parameters: Type.Optional(Type.Array(Parameter, { maxItems: 128 })),
  presets: Type.Optional(Type.Array(Preset, { maxItems: 64 })),
  definition: Type.Optional(Type.Object({}, { additionalProperties: true })),
  // Accepted for compatibility with the reference's request; the definition replaces the file.
  storage_method: Type.Optional(Type.String()),
  provisioner: Type.Optional(Type.String()),
  file_id: Type.Optional(Type.String()),
});

const CreateTemplate = Type.Object({
  name: TemplateName,
  display_name: Type.Optional(Type.String({ maxLength: 64 })),
  description: Type.Optional(Type.String({ maxLength: 128 })),
  icon: Type.Optional(Type.String({ maxLength: 256 })),
  template_version_id: Uuid,
});

const UpdateTemplate = Type.Object({
  name: Type.Optional(TemplateName),
  display_name: Type.Optional(Type.String({ maxLength: 64 })),
  description: Type.Optional(Type.String({ maxLength: 128 })),
  icon: Type.Optional(Type.String({ maxLength: 256 })),
  deprecation_message: Type.Optional(Type.String({ maxLength: 4096 })),
  ...TemplateScheduleFields,
});

const Promote = Type.Object({ id: Uuid });
const ListQuery = Type.Object({ deprecated: Type.Optional(Type.Boolean()) });

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

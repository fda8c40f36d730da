import { createDirectory } from '../../platform/directory.js';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { actorOf, authorize } from '../auth.js';
import { notFound } from '../errors.js';
import { errors, Uuid } from '../../contract/common.js';
import { OrgParam, orgParam } from '../params.js';
import * as tq from '../../platform/templates/queries.js';
import * as service from '../../platform/templates/service.js';
import { presentParameter, presentPreset, presentTemplate, presentVersion } from '../../platform/templates/present.js';

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
});

const Promote = Type.Object({ id: Uuid });
const ListQuery = Type.Object({ deprecated: Type.Optional(Type.Boolean()) });

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

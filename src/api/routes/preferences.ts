import { createDirectory } from '../../platform/directory.js';
import { Type, type Static } from '@sinclair/typebox';
import { Preference, UpdatePreferences as UpdateBody } from '../../contract/notifications.js';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { can } from '../../auth/roles.js';
import { actorOf } from '../auth.js';
import { badRequest } from '../errors.js';
import { userParam, UUID_RE } from '../params.js';
import { errors, UserParam } from '../../contract/common.js';
import { getPreferences, toPreferenceJson, updatePreferences } from '../../notifications/preferences.js';


export async function preferenceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;
  const tags = ['Notifications'];

  // Self, or an owner / user admin. Another member's answers 400, as the reference does.
  async function target(req: Parameters<typeof actorOf>[0], value: string) {
    const actor = actorOf(req);
    const user = await userParam(createDirectory(db), req, value);
    if (user.id !== actor.user.id && !can(actor.roles, 'user:read_preferences_any')) {
      throw badRequest('You cannot access the notification preferences of another user.');
    }
    return user;
  }

  app.get<{ Params: Static<typeof UserParam> }>(
    '/users/:user/notifications/preferences',
    { schema: { tags, params: UserParam, response: { 200: Type.Array(Preference), ...errors(400, 401) } } },
    async (req) => {
      const user = await target(req, req.params.user);
      return (await getPreferences(db, user.id)).map(toPreferenceJson);
    },
  );

  app.put<{ Params: Static<typeof UserParam>; Body: Static<typeof UpdateBody> }>(
    '/users/:user/notifications/preferences',
    { schema: { tags, params: UserParam, body: UpdateBody, response: { 200: Type.Array(Preference), ...errors(400, 401) } } },
    async (req) => {
      const user = await target(req, req.params.user);
      const map = req.body.template_disabled_map;
      const bad = Object.keys(map).filter((k) => !UUID_RE.test(k));
      if (bad.length) {
        throw badRequest('Unable to parse notification template UUID.', undefined, bad.map((k) => ({ field: `template_disabled_map.${k}`, detail: 'not a UUID' })));
      }
      const known = await db.query<{ id: string }>(`SELECT id FROM notification_templates WHERE id = ANY($1::uuid[])`, [Object.keys(map)]);
      const unknown = Object.keys(map).filter((k) => !known.rows.some((r) => r.id === k.toLowerCase()));
      if (unknown.length) {
        throw badRequest('Unknown notification template.', undefined, unknown.map((k) => ({ field: `template_disabled_map.${k}`, detail: 'no such notification template' })));
      }
      await updatePreferences(db, user.id, map);
      return (await getPreferences(db, user.id)).map(toPreferenceJson);
    },
  );
}

import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Directory } from '../../platform/directory.js';
import type { UserRow } from '../../auth/users/queries.js';
import type { PreferenceService } from '../../notifications/preferences.js';
import { actorOf } from '../auth.js';
import { userParam } from '../params.js';
import { errors, UserParam } from '../../contract/common.js';
import { Preference, UpdatePreferences as UpdateBody } from '../../contract/notifications.js';
import { ChannelPreferences, UpdateChannelPreferences } from '../../contract/preference-channels.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The {user} of a preferences request, resolved (and its permission checked) before the body is validated. */
    preferencesOf?: UserRow;
  }
}

export async function preferenceRoutes(app: FastifyInstance, deps: { preferences: PreferenceService; directory: Directory }): Promise<void> {
  const { preferences, directory } = deps;
  const tags = ['Notifications'];
  const target = (req: FastifyRequest<{ Params: Static<typeof UserParam> }>) => userParam(directory, req, req.params.user);

  app.get<{ Params: Static<typeof UserParam> }>(
    '/users/:user/notifications/preferences',
    { schema: { tags, params: UserParam, response: { 200: Type.Array(Preference), ...errors(400, 401) } } },
    async (req) => preferences.list(actorOf(req), await target(req)),
  );

  app.put<{ Params: Static<typeof UserParam>; Body: Static<typeof UpdateBody> }>(
    '/users/:user/notifications/preferences',
    {
      schema: { tags, params: UserParam, body: UpdateBody, response: { 200: Type.Array(Preference), ...errors(400, 401, 403) } },
      // Who may change them is decided before the body is looked at: a refused caller learns nothing from it.
      preValidation: async (req) => {
        const user = await target(req);
        preferences.assertCanChange(actorOf(req), user);
        req.preferencesOf = user;
      },
    },
    async (req) => preferences.update(actorOf(req), req.preferencesOf!, req.body.template_disabled_map),
  );

  app.get<{ Params: Static<typeof UserParam> }>(
    '/users/:user/notifications/preferences/channels',
    {
      schema: { tags, summary: 'Per template, which channels reach the user', params: UserParam, response: { 200: ChannelPreferences, ...errors(400, 401) } },
    },
    async (req) => preferences.channels(actorOf(req), await target(req)),
  );

  app.put<{ Params: Static<typeof UserParam>; Body: Static<typeof UpdateChannelPreferences> }>(
    '/users/:user/notifications/preferences/channels',
    {
      schema: {
        tags,
        summary: 'Turn channels on or off per template',
        params: UserParam,
        body: UpdateChannelPreferences,
        response: { 200: ChannelPreferences, ...errors(400, 401, 403) },
      },
      preValidation: async (req) => {
        const user = await target(req);
        preferences.assertCanChange(actorOf(req), user);
        req.preferencesOf = user;
      },
    },
    async (req) => preferences.updateChannels(actorOf(req), req.preferencesOf!, req.body.template_channels),
  );
}

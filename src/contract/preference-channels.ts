import { Type, type Static } from '@sinclair/typebox';
import { UserParam } from './common.js';

// Per-channel notification preferences (issue 18): per template, which delivery channels reach the
// user. The reference's template_disabled_map API keeps working; `disabled: true` there is "every
// channel off" here.

export const ChannelPreferences = Type.Object({
  channels: Type.Array(
    Type.Object({
      method: Type.String({ description: 'A delivery method, or "destination:<id>" for one of the user\'s own destinations.' }),
      label: Type.String(),
      kind: Type.Optional(Type.String({ description: "A user destination's kind (slack, teams, discord, webhook, ntfy)." })),
    }),
    { description: "The channels this deployment delivers through, in display order, then the user's active destinations." },
  ),
  templates: Type.Array(
    Type.Object({
      id: Type.String({ format: 'uuid' }),
      name: Type.String(),
      group: Type.String(),
      locked: Type.Boolean({ description: 'Critical: its channels cannot be turned off.' }),
      available: Type.Array(Type.String(), { description: 'The channels this template is delivered through.' }),
      channels: Type.Record(Type.String(), Type.Boolean(), { description: 'On/off per available channel.' }),
      updated_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    }),
  ),
});
export type ChannelPreferences = Static<typeof ChannelPreferences>;

export const UpdateChannelPreferences = Type.Object({
  template_channels: Type.Record(Type.String(), Type.Record(Type.String(), Type.Boolean(), { maxProperties: 20 }), {
    maxProperties: 200,
    description: 'Template id → {channel: on}. Channels not named keep their state.',
  }),
});
export type UpdateChannelPreferences = Static<typeof UpdateChannelPreferences>;

export const preferenceChannelEndpoints = {
  'GET /users/{user}/notifications/preferences/channels': { params: UserParam, response: { 200: ChannelPreferences } },
  'PUT /users/{user}/notifications/preferences/channels': {
    params: UserParam,
    body: UpdateChannelPreferences,
    response: { 200: ChannelPreferences },
  },
} as const;

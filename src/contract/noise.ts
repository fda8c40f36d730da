import { Type, type Static } from '@sinclair/typebox';
import { TemplateParam } from './notifications.js';
import { UserParam } from './common.js';

// Signal over noise (issue 19): per-template grouping and throttles (admins), per-user digests and
// quiet hours (users).

export const TemplateGroupingBody = Type.Object(
  {
    window: Type.Optional(Type.String({ maxLength: 16, description: 'Grouping window, e.g. "5m"; "0s" turns grouping off.' })),
    key: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 8, description: 'Label names that, with recipient, channel and template, identify a group.' })),
    mode: Type.Optional(Type.Union([Type.Literal('list'), Type.Literal('latest')], { description: 'list: one message listing the held events; latest: the last event only (flap guard).' })),
    throttle: Type.Optional(
      Type.Union([
        Type.Object({ count: Type.Integer({ minimum: 1, maximum: 10_000 }), period: Type.String({ maxLength: 16 }) }),
        Type.Null(),
      ], { description: 'At most `count` messages per recipient and channel per `period`; the excess joins the next group. null turns it off.' }),
    ),
  },
  { additionalProperties: false },
);
export type TemplateGroupingBody = Static<typeof TemplateGroupingBody>;

export const TemplateGrouping = Type.Object({
  template_id: Type.String(),
  window: Type.String(),
  key: Type.Array(Type.String()),
  mode: Type.String(),
  throttle: Type.Union([Type.Object({ count: Type.Integer(), period: Type.String() }), Type.Null()]),
  critical: Type.Boolean({ description: 'Critical templates bypass grouping, throttles, digests and quiet hours.' }),
});
export type TemplateGrouping = Static<typeof TemplateGrouping>;

export const DeliverySchedule = Type.Object(
  {
    time_zone: Type.String({ maxLength: 64, description: 'IANA time zone of the local times below.' }),
    quiet_hours: Type.Union([Type.Object({ start: Type.String({ maxLength: 5 }), end: Type.String({ maxLength: 5 }) }, { additionalProperties: false }), Type.Null()], {
      description: 'HH:MM–HH:MM local (may wrap midnight): non-critical e-mail, webhook and chat are held and released as one digest at the end.',
    }),
    digest: Type.Union(
      [
        Type.Object(
          {
            frequency: Type.Union([Type.Literal('hourly'), Type.Literal('daily')]),
            at: Type.Optional(Type.String({ maxLength: 5, description: 'Daily: the local time, HH:MM (default 09:00).' })),
            templates: Type.Optional(Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 200 }), Type.Null()], { description: 'Only these templates; null: all.' })),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'Non-inbox channels as one digest message (template "Notification Digest"); the inbox stays live.' },
    ),
  },
  { additionalProperties: false },
);
export type DeliverySchedule = Static<typeof DeliverySchedule>;

export const noiseEndpoints = {
  'GET /notifications/templates/{notification_template}/grouping': { params: TemplateParam, response: { 200: TemplateGrouping } },
  'PUT /notifications/templates/{notification_template}/grouping': { params: TemplateParam, body: TemplateGroupingBody, response: { 200: TemplateGrouping } },
  'GET /users/{user}/notifications/schedule': { params: UserParam, response: { 200: DeliverySchedule } },
  'PUT /users/{user}/notifications/schedule': { params: UserParam, body: DeliverySchedule, response: { 200: DeliverySchedule } },
} as const;

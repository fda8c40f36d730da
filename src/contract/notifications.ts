import { Type, type Static } from '@sinclair/typebox';
import { DateTime, MessageResponse, NoContent, Nullable, UserParam, Uuid } from './common.js';

// Notification administration: settings, templates and their methods, preview, delivery history,
// preferences and custom notifications.

/** Delivery methods, as the reference names them. */
export const NOTIFICATION_METHOD_NAMES = ['smtp', 'webhook', 'inbox', 'slack', 'teams', 'discord', 'webpush', 'destination'] as const;
export const MESSAGE_STATUSES = ['pending', 'leased', 'sent', 'permanent_failure', 'temporary_failure', 'unknown', 'inhibited', 'held', 'grouped'] as const;

export const NotificationSettings = Type.Object({ notifier_paused: Type.Boolean() });
export type NotificationSettings = Static<typeof NotificationSettings>;

export const TemplateParam = Type.Object({ notification_template: Type.String({ maxLength: 64 }) });
export const MethodBody = Type.Object({ method: Type.String({ maxLength: 32 }) });
export type MethodBody = Static<typeof MethodBody>;

export const NotificationTemplate = Type.Object({
  id: Uuid,
  name: Type.String(),
  title_template: Type.String(),
  body_template: Type.String(),
  actions: Type.String({ description: 'JSON array of {label,url}, as text' }),
  group: Type.String(),
  method: Type.String({ description: '"" means the deployment default' }),
  kind: Type.String(),
  enabled_by_default: Type.Boolean(),
  critical: Type.Boolean({ description: 'Herald: a critical notification cannot be disabled (e.g. the password-reset code)' }),
});
export type NotificationTemplate = Static<typeof NotificationTemplate>;

export const NotificationAction = Type.Object({ label: Type.String(), url: Type.String() });
export type NotificationAction = Static<typeof NotificationAction>;

export const PreviewBody = Type.Object({
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type PreviewBody = Static<typeof PreviewBody>;
export const PreviewResponse = Type.Object({
  title: Type.String(),
  title_markdown: Type.String(),
  body: Type.String(),
  body_markdown: Type.String(),
  body_html: Type.String(),
  actions: Type.Array(NotificationAction),
});
export type PreviewResponse = Static<typeof PreviewResponse>;

export const MessagesQuery = Type.Object({
  status: Type.Optional(Type.Union(MESSAGE_STATUSES.map((s) => Type.Literal(s)))),
  method: Type.Optional(Type.Union(NOTIFICATION_METHOD_NAMES.map((m) => Type.Literal(m)))),
  template_id: Type.Optional(Uuid),
  user_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type MessagesQuery = Static<typeof MessagesQuery>;

/** One row of the delivery history. */
export const DeliveryMessage = Type.Object({
  id: Uuid,
  notification_template_id: Uuid,
  template_name: Type.String(),
  user_id: Uuid,
  username: Type.String(),
  method: Type.String(),
  status: Type.String(),
  status_reason: Nullable(Type.String()),
  attempt_count: Type.Integer(),
  created_by: Type.String(),
  created_at: Nullable(DateTime),
  updated_at: Nullable(DateTime),
  next_retry_after: Nullable(DateTime),
  leased_until: Nullable(DateTime),
  targets: Type.Array(Uuid),
  // Signal over noise (issue 19): held (waiting in a group or digest) and grouped (delivered inside one) events.
  group_id: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'The group or digest the event opened or was held in.' })),
  carries_group: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Set on a grouped or digest message: the group it carries.' })),
  carried_by: Type.Optional(Type.Union([Uuid, Type.Null()], { description: 'Set on a grouped event: the message that delivered it.' })),
});
export type DeliveryMessage = Static<typeof DeliveryMessage>;
export const MessagesResponse = Type.Object({ messages: Type.Array(DeliveryMessage), count: Type.Integer() });
export type MessagesResponse = Static<typeof MessagesResponse>;

export const DispatchMethods = Type.Object({ available: Type.Array(Type.String()), default: Type.String() });
export type DispatchMethods = Static<typeof DispatchMethods>;

export const Preference = Type.Object({ id: Type.String(), disabled: Type.Boolean(), updated_at: Type.String() });
export type Preference = Static<typeof Preference>;
export const UpdatePreferences = Type.Object({
  template_disabled_map: Type.Record(Type.String(), Type.Boolean(), { maxProperties: 200 }),
});
export type UpdatePreferences = Static<typeof UpdatePreferences>;

/** Limits measured in bytes of UTF-8, as the reference measures them (Go's len). */
export const CUSTOM_TITLE_MAX_BYTES = 120;
export const CUSTOM_MESSAGE_MAX_BYTES = 2000;
/** What clients send to POST /notifications/custom. */
export const CustomNotification = Type.Object({
  content: Type.Object({ title: Type.String(), message: Type.String() }),
});
export type CustomNotification = Static<typeof CustomNotification>;
/** The server validates the body by hand so its answers match the reference's; documented here. */
export const CustomNotificationBodyDoc = Type.Unknown({
  description:
    '{"content":{"title":"…","message":"…"}}: title at most 120 and message at most 2000 bytes of UTF-8, both non-blank, neither with NUL or unpaired surrogates. The recipient is always the caller.',
});

export const notificationEndpoints = {
  'GET /notifications/settings': { response: { 200: NotificationSettings } },
  'PUT /notifications/settings': { body: NotificationSettings, response: { 200: NotificationSettings, 304: NoContent } },
  'GET /notifications/templates/system': { response: { 200: Type.Array(NotificationTemplate) } },
  'GET /notifications/templates/custom': { response: { 200: Type.Array(NotificationTemplate) } },
  'PUT /notifications/templates/{notification_template}/method': {
    params: TemplateParam,
    body: MethodBody,
    response: { 200: MessageResponse, 304: NoContent },
  },
  'DELETE /notifications/templates/{notification_template}/method': { params: TemplateParam, response: { 200: MessageResponse, 304: NoContent } },
  'POST /notifications/templates/{notification_template}/preview': { params: TemplateParam, body: PreviewBody, response: { 200: PreviewResponse } },
  'GET /notifications/dispatch-methods': { response: { 200: DispatchMethods } },
  'POST /notifications/test': { response: { 204: NoContent } },
  'GET /notifications/messages': { querystring: MessagesQuery, response: { 200: MessagesResponse } },
  'POST /notifications/custom': { body: CustomNotification, response: { 204: NoContent } },
  'GET /users/{user}/notifications/preferences': { params: UserParam, response: { 200: Type.Array(Preference) } },
  'PUT /users/{user}/notifications/preferences': { params: UserParam, body: UpdatePreferences, response: { 200: Type.Array(Preference) } },
} as const;

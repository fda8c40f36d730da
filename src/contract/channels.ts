import { Type, type Static } from '@sinclair/typebox';
import { DateTime, NoContent, UserParam } from './common.js';

// Browser push subscriptions (as the reference) and the destinations users add themselves.

export const WebpushSubscription = Type.Object({
  endpoint: Type.String({ minLength: 1, maxLength: 2048 }),
  auth_key: Type.String({ minLength: 1, maxLength: 64 }),
  p256dh_key: Type.String({ minLength: 1, maxLength: 128 }),
});
export type WebpushSubscription = Static<typeof WebpushSubscription>;
export const DeleteWebpushSubscription = Type.Object({ endpoint: Type.String({ minLength: 1, maxLength: 2048 }) });
export type DeleteWebpushSubscription = Static<typeof DeleteWebpushSubscription>;
/** The VAPID public key (base64url) the dashboard passes to pushManager.subscribe. */
export const WebpushPublicKey = Type.Object({ public_key: Type.String() });
export type WebpushPublicKey = Static<typeof WebpushPublicKey>;

export const DESTINATION_KINDS = ['slack', 'teams', 'discord', 'webhook', 'ntfy'] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/** A user's destination as the API shows it: the URL masked, never the secret. */
export const UserDestination = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.Union(DESTINATION_KINDS.map((k) => Type.Literal(k))),
  name: Type.String(),
  /** Scheme and host, the rest masked. */
  url: Type.String(),
  /** The channel id in the preferences grid: "destination:<id>". */
  channel: Type.String(),
  status: Type.Union([Type.Literal('unverified'), Type.Literal('active'), Type.Literal('disabled')]),
  disabled_reason: Type.String(),
  created_at: DateTime,
  verified_at: Type.Union([DateTime, Type.Null()]),
});
export type UserDestination = Static<typeof UserDestination>;

export const CreateUserDestination = Type.Object({
  kind: Type.Union(DESTINATION_KINDS.map((k) => Type.Literal(k))),
  name: Type.Optional(Type.String({ maxLength: 64 })),
  url: Type.String({ minLength: 1, maxLength: 2048 }),
});
export type CreateUserDestination = Static<typeof CreateUserDestination>;
/** The answer to a create: the destination, and for a generic webhook its signing secret (shown this once). */
export const CreatedUserDestination = Type.Composite([UserDestination, Type.Object({ secret: Type.Optional(Type.String()) })]);
export type CreatedUserDestination = Static<typeof CreatedUserDestination>;
export const VerifyUserDestination = Type.Object({ code: Type.String({ minLength: 1, maxLength: 32 }) });
export type VerifyUserDestination = Static<typeof VerifyUserDestination>;
export const DestinationParam = Type.Object({ user: UserParam.properties.user, destination: Type.String({ maxLength: 64 }) });

export const channelEndpoints = {
  'GET /notifications/webpush/public-key': { response: { 200: WebpushPublicKey } },
  'POST /users/{user}/webpush/subscription': { params: UserParam, body: WebpushSubscription, response: { 204: NoContent } },
  'DELETE /users/{user}/webpush/subscription': { params: UserParam, body: DeleteWebpushSubscription, response: { 204: NoContent } },
  'POST /users/{user}/webpush/test': { params: UserParam, response: { 204: NoContent } },
} as const;

/** The kinds of destination this deployment lets users add (--notifications-user-destinations). */
export const DestinationKinds = Type.Object({ kinds: Type.Array(Type.Union(DESTINATION_KINDS.map((k) => Type.Literal(k)))) });
export type DestinationKinds = Static<typeof DestinationKinds>;

export const destinationEndpoints = {
  'GET /notifications/destinations/kinds': { response: { 200: DestinationKinds } },
  'GET /users/{user}/notifications/destinations': { params: UserParam, response: { 200: Type.Array(UserDestination) } },
  'POST /users/{user}/notifications/destinations': { params: UserParam, body: CreateUserDestination, response: { 201: CreatedUserDestination } },
  'POST /users/{user}/notifications/destinations/{destination}/verify': { params: DestinationParam, body: VerifyUserDestination, response: { 200: UserDestination } },
  'DELETE /users/{user}/notifications/destinations/{destination}': { params: DestinationParam, response: { 204: NoContent } },
} as const;

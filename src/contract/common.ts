import { Type, type Static } from '@sinclair/typebox';

// Schemas shared across resources: the request and response contract, and the OpenAPI source.

export const Uuid = Type.String({ format: 'uuid' });

export const ErrorResponse = Type.Object(
  {
    message: Type.String(),
    detail: Type.Optional(Type.String()),
    validations: Type.Optional(Type.Array(Type.Object({ field: Type.String(), detail: Type.String() }))),
  },
  { $id: 'Response' },
);

export const MessageResponse = Type.Object({ message: Type.String(), detail: Type.Optional(Type.String()) });

export const Role = Type.Object({ name: Type.String(), display_name: Type.String() });

export const User = Type.Object(
  {
    id: Uuid,
    username: Type.String(),
    email: Type.String(),
    name: Type.String(),
    avatar_url: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    last_seen_at: Type.String({ format: 'date-time' }),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('dormant')]),
    login_type: Type.String(),
    theme_preference: Type.String(),
    organization_ids: Type.Array(Uuid),
    roles: Type.Array(Role),
  },
  { $id: 'User' },
);
export type UserJson = Static<typeof User>;

/** Standard error answers for the OpenAPI document. */
export const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref('Response')]));

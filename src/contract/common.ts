import { Type, type Static, type TSchema } from '@sinclair/typebox';

// Schemas shared across resources. src/contract/ is the API contract: the server validates with these
// schemas, the OpenAPI document is generated from them, and the dashboard and the CLI take their types
// from here. It imports nothing else from src/ (rule contract-stands-alone).

export const Uuid = Type.String({ format: 'uuid' });
export const DateTime = Type.String({ format: 'date-time' });
/** A nullable value, as Go's pointers serialise. */
export const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);

export const Validation = Type.Object({ field: Type.String(), detail: Type.String() });
export type Validation = Static<typeof Validation>;

export const ErrorResponse = Type.Object(
  {
    message: Type.String(),
    detail: Type.Optional(Type.String()),
    validations: Type.Optional(Type.Array(Validation)),
  },
  { $id: 'Response' },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export const MessageResponse = Type.Object({ message: Type.String(), detail: Type.Optional(Type.String()) });
export type MessageResponse = Static<typeof MessageResponse>;

/** An empty answer (204, or 304 when nothing changed). */
export const NoContent = Type.Null({ description: 'No content' });

export const Role = Type.Object({ name: Type.String(), display_name: Type.String() });

export const User = Type.Object(
  {
    id: Uuid,
    username: Type.String(),
    email: Type.String(),
    name: Type.String(),
    avatar_url: Type.String(),
    created_at: DateTime,
    updated_at: DateTime,
    last_seen_at: DateTime,
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('dormant')]),
    login_type: Type.String(),
    theme_preference: Type.String(),
    organization_ids: Type.Array(Uuid),
    roles: Type.Array(Role),
  },
  { $id: 'User' },
);
export type UserJson = Static<typeof User>;

/** {user} path value: "me", a user id or a username. */
export const UserParam = Type.Object({ user: Type.String({ minLength: 1, maxLength: 64 }) });
/** {organization} path value: its name or id. */
export const OrgParam = Type.Object({ organization: Type.String({ minLength: 1, maxLength: 64 }) });

export const NameValue = Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }), value: Type.String({ maxLength: 65536 }) });
export type NameValue = Static<typeof NameValue>;

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});
/** A search (`q`) with paging, as the reference's list endpoints take it. */
export const SearchQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 256 })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** Standard error answers for the OpenAPI document. */
export const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref('Response')]));

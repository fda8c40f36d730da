import { Type, type Static } from '@sinclair/typebox';
import { MessageResponse, NoContent, SearchQuery, User, UserParam, Uuid } from './common.js';

// Users, sessions and the one-time-passcode password reset.

export const Username = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$' });
export const Email = Type.String({ format: 'email', maxLength: 320 });
const Name = Type.String({ maxLength: 128 });
const Password = Type.String({ maxLength: 256 });

export const CreateFirstUser = Type.Object({ email: Email, username: Username, name: Type.Optional(Name), password: Password, trial: Type.Optional(Type.Boolean()) });
export type CreateFirstUser = Static<typeof CreateFirstUser>;
export const CreateFirstUserResponse = Type.Object({ user_id: Uuid, organization_id: Uuid });
export type CreateFirstUserResponse = Static<typeof CreateFirstUserResponse>;

export const CreateUser = Type.Object({
  email: Email,
  username: Username,
  name: Type.Optional(Name),
  password: Type.Optional(Password),
  login_type: Type.Optional(Type.Union([Type.Literal('password'), Type.Literal('none'), Type.Literal('')])),
  /** The organizations to join; the nil UUID (or none) means the default organization. */
  organization_ids: Type.Optional(Type.Array(Uuid, { maxItems: 16 })),
  /** null (as the reference's dashboard sends it) or absent: active. */
  user_status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('dormant'), Type.Null()])),
});
export type CreateUser = Static<typeof CreateUser>;

export const Login = Type.Object({ email: Type.String({ maxLength: 320 }), password: Password });
export type Login = Static<typeof Login>;
export const LoginResponse = Type.Object({ session_token: Type.String() });
export type LoginResponse = Static<typeof LoginResponse>;

export const Roles = Type.Object({ roles: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 }) });
export type Roles = Static<typeof Roles>;

export const CreateToken = Type.Object({
  lifetime: Type.Optional(Type.Integer({ minimum: 0 })),
  scope: Type.Optional(Type.String({ maxLength: 64 })),
  token_name: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-zA-Z0-9_-]*$' })),
});
export type CreateToken = Static<typeof CreateToken>;
export const CreateTokenResponse = Type.Object({ key: Type.String() });
export type CreateTokenResponse = Static<typeof CreateTokenResponse>;

export const UserListQuery = SearchQuery;
export const UserList = Type.Object({ users: Type.Array(User), count: Type.Integer() });
export type UserList = Static<typeof UserList>;

// An e-mail address, as the reference validates it (400); a well-formed unknown one still gets 204.
export const RequestOneTimePasscode = Type.Object({ email: Email });
export type RequestOneTimePasscode = Static<typeof RequestOneTimePasscode>;
// Each field is required and may not be empty ("Validation failed." with the field, as the reference).
export const ChangePasswordWithOneTimePasscode = Type.Object({
  email: Email,
  password: Type.String({ minLength: 1, maxLength: 256 }),
  one_time_passcode: Type.String({ minLength: 1, maxLength: 128 }),
});
export type ChangePasswordWithOneTimePasscode = Static<typeof ChangePasswordWithOneTimePasscode>;

/** codersdk.AuthMethods: Herald signs in with passwords only. */
export const AuthMethods = Type.Object({
  terms_of_service_url: Type.String(),
  password: Type.Object({ enabled: Type.Boolean() }),
  github: Type.Object({ enabled: Type.Boolean(), default_provider_configured: Type.Boolean() }),
  oidc: Type.Object({ enabled: Type.Boolean(), signInText: Type.String(), iconUrl: Type.String() }),
});
export type AuthMethods = Static<typeof AuthMethods>;

/** codersdk.AuthorizationRequest: named checks of "may I <action> <object>?". */
export const AuthorizationRequest = Type.Object({
  checks: Type.Record(
    Type.String({ maxLength: 128 }),
    Type.Object({
      object: Type.Object({
        resource_type: Type.String({ minLength: 1, maxLength: 64 }),
        owner_id: Type.Optional(Type.String({ maxLength: 64 })),
        organization_id: Type.Optional(Type.String({ maxLength: 64 })),
        resource_id: Type.Optional(Type.String({ maxLength: 64 })),
        any_org: Type.Optional(Type.Boolean()),
      }),
      action: Type.String({ minLength: 1, maxLength: 64 }),
    }),
    { maxProperties: 256 },
  ),
});
export type AuthorizationRequest = Static<typeof AuthorizationRequest>;
export const AuthorizationResponse = Type.Record(Type.String(), Type.Boolean());
export type AuthorizationResponse = Static<typeof AuthorizationResponse>;

export const ValidatePassword = Type.Object({ password: Type.String({ maxLength: 256 }) });
export type ValidatePassword = Static<typeof ValidatePassword>;
export const ValidatePasswordResponse = Type.Object({ valid: Type.Boolean(), details: Type.String() });
export type ValidatePasswordResponse = Static<typeof ValidatePasswordResponse>;

export const userEndpoints = {
  'GET /users/authmethods': { response: { 200: AuthMethods } },
  'POST /users/validate-password': { body: ValidatePassword, response: { 200: ValidatePasswordResponse } },
  'POST /authcheck': { body: AuthorizationRequest, response: { 200: AuthorizationResponse } },
  'GET /users/first': { response: { 200: MessageResponse } },
  'POST /users/first': { body: CreateFirstUser, response: { 201: CreateFirstUserResponse } },
  'POST /users/login': { body: Login, response: { 201: LoginResponse } },
  'POST /users/logout': { response: { 200: MessageResponse } },
  'POST /users/otp/request': { body: RequestOneTimePasscode, response: { 204: NoContent } },
  'POST /users/otp/change-password': { body: ChangePasswordWithOneTimePasscode, response: { 204: NoContent } },
  'GET /users/me': { response: { 200: User } },
  'GET /users': { querystring: UserListQuery, response: { 200: UserList } },
  'POST /users': { body: CreateUser, response: { 201: User } },
  'GET /users/{user}': { params: UserParam, response: { 200: User } },
  'DELETE /users/{user}': { params: UserParam, response: { 200: MessageResponse } },
  'PUT /users/{user}/status/suspend': { params: UserParam, response: { 200: User } },
  'PUT /users/{user}/status/activate': { params: UserParam, response: { 200: User } },
  'PUT /users/{user}/roles': { params: UserParam, body: Roles, response: { 200: User } },
  'POST /users/{user}/keys/tokens': { params: UserParam, body: CreateToken, response: { 201: CreateTokenResponse } },
} as const;

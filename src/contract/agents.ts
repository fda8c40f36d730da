import { Type, type Static } from '@sinclair/typebox';
import { NoContent } from './common.js';

// Routes a workspace agent calls with its own token.

export const APP_STATUS_MESSAGE_MAX_BYTES = 160;

export const PatchAppStatus = Type.Object({
  app_slug: Type.String({ maxLength: 256 }),
  state: Type.String({ maxLength: 64 }),
  message: Type.String({ maxLength: 65536 }),
  uri: Type.Optional(Type.String({ maxLength: 8192 })),
  // Deprecated fields the reference still accepts.
  icon: Type.Optional(Type.String()),
  needs_user_attention: Type.Optional(Type.Boolean()),
});
export type PatchAppStatus = Static<typeof PatchAppStatus>;

export const agentEndpoints = {
  'PATCH /workspaceagents/me/app-status': { body: PatchAppStatus, response: { 200: NoContent } },
} as const;

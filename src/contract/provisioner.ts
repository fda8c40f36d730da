import { Type, type Static } from '@sinclair/typebox';
import { DateTime, NoContent, Nullable, OrgParam, Uuid } from './common.js';

// Provisioner keys (owners) and the external provisioner's job API (provisioner key).

export const PROVISIONER_KEY_HEADER = 'coder-provisioner-key';

export const ProvisionerKeyParam = Type.Object({
  organization: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.String({ minLength: 1, maxLength: 64 }),
});
export const CreateProvisionerKey = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9_-]+$' }) });
export type CreateProvisionerKey = Static<typeof CreateProvisionerKey>;
export const CreateProvisionerKeyResponse = Type.Object({ key: Type.String({ description: 'Shown once.' }) });
export const ProvisionerKey = Type.Object({
  id: Uuid,
  created_at: DateTime,
  organization: Uuid,
  name: Type.String(),
  tags: Type.Record(Type.String(), Type.String()),
});
export type ProvisionerKey = Static<typeof ProvisionerKey>;

export const JobParam = Type.Object({ job: Uuid });
export const AcquireJob = Type.Optional(Type.Object({ worker_id: Type.Optional(Type.String({ maxLength: 128 })) }));
export const JobLogs = Type.Object({ logs: Type.Array(Type.Unknown(), { maxItems: 10_000 }) });
export const FailJob = Type.Object({
  error: Type.String({ minLength: 1, maxLength: 65536 }),
  error_code: Type.Optional(Type.String({ maxLength: 128 })),
  logs: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 10_000 })),
});
export type FailJob = Static<typeof FailJob>;
export const CompleteJob = Type.Object({}, { additionalProperties: true });

export const AcquiredJob = Type.Object({
  job_id: Uuid,
  created_at: DateTime,
  type: Type.String(),
  workspace_build: Nullable(Type.Object({ workspace_build_id: Uuid, workspace_id: Uuid, transition: Type.String() }, { additionalProperties: true })),
});
export type AcquiredJob = Static<typeof AcquiredJob>;

export const provisionerEndpoints = {
  'POST /organizations/{organization}/provisionerkeys': { params: OrgParam, body: CreateProvisionerKey, response: { 201: CreateProvisionerKeyResponse } },
  'GET /organizations/{organization}/provisionerkeys': { params: OrgParam, response: { 200: Type.Array(ProvisionerKey) } },
  'DELETE /organizations/{organization}/provisionerkeys/{name}': { params: ProvisionerKeyParam, response: { 204: NoContent } },
  'POST /provisionerdaemons/jobs/acquire': { body: AcquireJob, response: { 200: AcquiredJob, 204: NoContent } },
  'POST /provisionerdaemons/jobs/{job}/logs': { params: JobParam, body: JobLogs, response: { 204: NoContent } },
  'POST /provisionerdaemons/jobs/{job}/heartbeat': { params: JobParam, response: { 204: NoContent } },
  'POST /provisionerdaemons/jobs/{job}/complete': { params: JobParam, body: CompleteJob, response: { 204: NoContent } },
  'POST /provisionerdaemons/jobs/{job}/fail': { params: JobParam, body: FailJob, response: { 204: NoContent } },
} as const;

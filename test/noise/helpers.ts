// Shared pieces of the signal-over-noise suites (issue 19).

import type { EnqueueRequest } from '../../src/notifications/enqueue.js';
import { TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED } from '../../src/notifications/templates/catalogue.js';

/** A Manual Build Failed notification exactly as the platform raises it (workspaceBuildFailed). */
export function buildFailed(adminId: string, ws: number, build: number): EnqueueRequest {
  return {
    userId: adminId,
    templateId: TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED,
    labels: {
      name: `ws-${ws}`,
      template_name: 'docker',
      template_version_name: 'v1',
      initiator: 'alice',
      workspace_owner_username: 'alice',
      workspace_build_number: String(build),
    },
    createdBy: 'provisionerd',
  };
}

/** The item names a storm of `count` builds across `workspaces` workspaces produces, in order. */
export function stormItems(count: number, workspaces: number): { ws: number; build: number; name: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const ws = i % workspaces;
    const build = Math.floor(i / workspaces) + 1;
    return { ws, build, name: `ws-${ws} #${build}` };
  });
}

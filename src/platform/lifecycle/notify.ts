import type { Queryable } from '../../db/database.js';
import type { EventDeps } from '../deps.js';
import {
  TEMPLATE_WORKSPACE_AUTO_UPDATED,
  TEMPLATE_WORKSPACE_AUTOSTOP_REMINDER,
  TEMPLATE_WORKSPACE_DORMANT,
  TEMPLATE_WORKSPACE_MARKED_FOR_DELETION,
} from '../../notifications/templates/catalogue.js';
import { safely } from '../events.js';
import type { VersionRow } from '../templates/queries.js';
import { humanizeTime } from './schedule.js';

interface WorkspaceRef {
  id: string;
  name: string;
  owner_id: string;
  template_id: string;
  organization_id: string;
}

const targets = (w: WorkspaceRef) => [w.id, w.owner_id, w.template_id, w.organization_id];

async function toOwner(deps: EventDeps, q: Queryable, what: string, w: WorkspaceRef, templateId: string, labels: Record<string, string>, createdBy: string) {
  await safely(q, deps.log, what, async () => {
    await deps.enqueuer.enqueueMany([{ userId: w.owner_id, templateId, labels, createdBy, targets: targets(w) }], q);
  });
}

/** Workspace Updated Automatically: an automatic start moved the workspace to the active version. */
export function autoUpdated(deps: EventDeps, q: Queryable, w: WorkspaceRef, version: VersionRow, reason: string) {
  return toOwner(deps, q, 'notify workspace auto-updated', w, TEMPLATE_WORKSPACE_AUTO_UPDATED, {
    name: w.name,
    initiator: 'autobuild',
    reason,
    template_version_name: version.name,
    template_version_message: version.message || 'None provided',
  }, 'autobuild');
}

/** Workspace Marked as Dormant (by the executor, or by hand through PUT /workspaces/{id}/dormant). */
export function dormant(
  deps: EventDeps,
  q: Queryable,
  w: WorkspaceRef,
  o: { reason: string; deletingAt: Date | null; now: Date; initiator?: string; createdBy?: string },
) {
  const labels: Record<string, string> = { name: w.name, reason: o.reason };
  if (o.initiator) labels.initiator = o.initiator;
  // Only with auto-delete on: the body's deletion timeline needs it.
  if (o.deletingAt) labels.timeTilDormant = humanizeTime(o.deletingAt, o.now);
  return toOwner(deps, q, 'notify workspace dormant', w, TEMPLATE_WORKSPACE_DORMANT, labels, o.createdBy ?? 'lifecycle_executor');
}

/** Workspace Marked for Deletion: a dormant workspace got a deletion date from a template change. */
export function markedForDeletion(deps: EventDeps, q: Queryable, w: WorkspaceRef, o: { reason: string; deletingAt: Date; now: Date }) {
  return toOwner(deps, q, 'notify workspace marked for deletion', w, TEMPLATE_WORKSPACE_MARKED_FOR_DELETION, {
    name: w.name,
    initiator: 'autobuild',
    reason: o.reason,
    timeTilDormant: humanizeTime(o.deletingAt, o.now),
  }, 'scheduletemplate');
}

/** The autostop reminder (Herald's template): the workspace stops at its deadline. */
export function autostopReminder(deps: EventDeps, q: Queryable, w: WorkspaceRef & { deadline: Date }, now: Date) {
  return toOwner(deps, q, 'notify autostop reminder', w, TEMPLATE_WORKSPACE_AUTOSTOP_REMINDER, {
    workspace: w.name,
    timeTilShutdown: humanizeTime(w.deadline, now),
  }, 'lifecycle_executor');
}

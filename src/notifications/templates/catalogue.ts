// Built-in notification template ids, names and groups (the reference's
// coderd/notifications/events.go, plus Task Completed / Task Failed).
//
// The template TEXTS (title, body, actions) live only in
// src/db/migrations/0003_notification_catalogue.sql, which is the source of
// truth; this file holds the constants code needs to enqueue and to reason
// about templates. test/render/catalogue.test.ts checks both agree.

// Workspace Events
export const TEMPLATE_WORKSPACE_DELETED = 'f517da0b-cdc9-410f-ab89-a86107c420ed';
export const TEMPLATE_WORKSPACE_AUTOBUILD_FAILED = '381df2a9-c0c0-4749-420f-80a9280c66f9';
export const TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED = '2faeee0f-26cb-4e96-821c-85ccb9f71513';
export const TEMPLATE_WORKSPACE_DORMANT = '0ea69165-ec14-4314-91f1-69566ac3c5a0';
export const TEMPLATE_WORKSPACE_MARKED_FOR_DELETION = '51ce2fdf-c9ca-4be1-8d70-628674f9bc42';
export const TEMPLATE_WORKSPACE_AUTO_UPDATED = 'c34a0c09-0704-4cac-bd1c-0c0146811c2b';
export const TEMPLATE_WORKSPACE_CREATED = '281fdf73-c6d6-4cbb-8ff5-888baf8a2fff';
export const TEMPLATE_WORKSPACE_MANUALLY_UPDATED = 'd089fe7b-d5c5-4c0c-aaf5-689859f7d392';
export const TEMPLATE_WORKSPACE_OUT_OF_MEMORY = 'a9d027b4-ac49-4fb1-9f6d-45af15f64e7a';
export const TEMPLATE_WORKSPACE_OUT_OF_DISK = 'f047f6a3-5713-40f7-85aa-0394cce9fa3a';
/** Herald's own id (0070 migration): the reference added its reminder after the pinned commit. */
export const TEMPLATE_WORKSPACE_AUTOSTOP_REMINDER = '7a3c1e9b-5d2f-4b8a-9c6e-1f0d2b3a4c5d';

// User Events
export const TEMPLATE_USER_ACCOUNT_CREATED = '4e19c0ac-94e1-4532-9515-d1801aa283b2';
export const TEMPLATE_USER_ACCOUNT_DELETED = 'f44d9314-ad03-4bc8-95d0-5cad491da6b6';
export const TEMPLATE_USER_ACCOUNT_SUSPENDED = 'b02ddd82-4733-4d02-a2d7-c36f3598997d';
export const TEMPLATE_USER_ACCOUNT_ACTIVATED = '9f5af851-8408-4e73-a7a1-c6502ba46689';
export const TEMPLATE_YOUR_ACCOUNT_SUSPENDED = '6a2f0609-9b69-4d36-a989-9f5925b6cbff';
export const TEMPLATE_YOUR_ACCOUNT_ACTIVATED = '1a6a6bea-ee0a-43e2-9e7c-eabdb53730e4';
export const TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE = '62f86a30-2330-4b61-a26d-311ff3b608cf';

// Template Events
export const TEMPLATE_TEMPLATE_DELETED = '29a09665-2a4c-403f-9648-54301670e7be';
export const TEMPLATE_TEMPLATE_DEPRECATED = 'f40fae84-55a2-42cd-99fa-b41c1ca64894';
export const TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT = '34a20db2-e9cc-4a93-b0e4-8569699d7a00';
export const TEMPLATE_WORKSPACE_RESOURCE_REPLACED = '89d9745a-816e-4695-a17f-3d0a229e2b8d';
/** The reference's constant has no `Template` prefix. */
export const PREBUILD_FAILURE_LIMIT_REACHED = '414d9331-c1fc-4761-b40c-d1f4702279eb';
/** Alias with the usual prefix. */
export const TEMPLATE_PREBUILD_FAILURE_LIMIT_REACHED = PREBUILD_FAILURE_LIMIT_REACHED;

// Task Events
export const TEMPLATE_TASK_WORKING = 'bd4b7168-d05e-4e19-ad0f-3593b77aa90f';
export const TEMPLATE_TASK_IDLE = 'd4a6271c-cced-4ed0-84ad-afd02a9c7799';
export const TEMPLATE_TASK_COMPLETED = '8c5a4d12-9f7e-4b3a-a1c8-6e4f2d9b5a7c';
export const TEMPLATE_TASK_FAILED = '3b7e8f1a-4c2d-49a6-b5e9-7f3a1c8d6b4e';
/** Upstream ids (0070 migration). */
export const TEMPLATE_TASK_PAUSED = '2a74f3d3-ab09-4123-a4a5-ca238f4f65a1';
export const TEMPLATE_TASK_RESUMED = '843ee9c3-a8fb-4846-afa9-977bec578649';

// Notification Events / Custom Events
export const TEMPLATE_TEST_NOTIFICATION = 'c425f63e-716a-4bf4-ae24-78348f706c3f';
export const TEMPLATE_CUSTOM_NOTIFICATION = '39b1e189-c857-4b0c-877a-511144c18516';
/** Herald addition (issue 19): digests and quiet-hours releases (migration 0091). */
export const TEMPLATE_NOTIFICATION_DIGEST = '5d3c1a2e-7b9f-4e61-9c8a-2f0e6d4b1a93';

export const GROUP_WORKSPACE_EVENTS = 'Workspace Events';
export const GROUP_USER_EVENTS = 'User Events';
export const GROUP_TEMPLATE_EVENTS = 'Template Events';
export const GROUP_TASK_EVENTS = 'Task Events';
export const GROUP_NOTIFICATION_EVENTS = 'Notification Events';
export const GROUP_CUSTOM_EVENTS = 'Custom Events';

export type TemplateGroup =
  | typeof GROUP_WORKSPACE_EVENTS
  | typeof GROUP_USER_EVENTS
  | typeof GROUP_TEMPLATE_EVENTS
  | typeof GROUP_TASK_EVENTS
  | typeof GROUP_NOTIFICATION_EVENTS
  | typeof GROUP_CUSTOM_EVENTS;

export interface CatalogueEntry {
  id: string;
  /** The reference's Go constant name (golden files are named after it). */
  goName: string;
  /** notification_templates.name */
  name: string;
  group: TemplateGroup;
  kind: 'system' | 'custom';
  enabled_by_default: boolean;
  /** Always NULL for built-ins: the deployment default method applies. */
  method: null;
}

const e = (
  id: string,
  goName: string,
  name: string,
  group: TemplateGroup,
  enabled_by_default = true,
  kind: 'system' | 'custom' = 'system',
): CatalogueEntry => ({ id, goName, name, group, kind, enabled_by_default, method: null });

/** Every built-in template (metadata only; texts are in the 0003 migration). */
export const CATALOGUE: readonly CatalogueEntry[] = Object.freeze([
  e(TEMPLATE_WORKSPACE_DELETED, 'TemplateWorkspaceDeleted', 'Workspace Deleted', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_WORKSPACE_AUTOBUILD_FAILED, 'TemplateWorkspaceAutobuildFailed', 'Workspace Autobuild Failed', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED, 'TemplateWorkspaceManualBuildFailed', 'Workspace Manual Build Failed', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_WORKSPACE_DORMANT, 'TemplateWorkspaceDormant', 'Workspace Marked as Dormant', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_WORKSPACE_MARKED_FOR_DELETION, 'TemplateWorkspaceMarkedForDeletion', 'Workspace Marked for Deletion', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_WORKSPACE_AUTO_UPDATED, 'TemplateWorkspaceAutoUpdated', 'Workspace Updated Automatically', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_WORKSPACE_CREATED, 'TemplateWorkspaceCreated', 'Workspace Created', GROUP_WORKSPACE_EVENTS, false),
  e(TEMPLATE_WORKSPACE_MANUALLY_UPDATED, 'TemplateWorkspaceManuallyUpdated', 'Workspace Manually Updated', GROUP_WORKSPACE_EVENTS, false),
  e(TEMPLATE_WORKSPACE_OUT_OF_MEMORY, 'TemplateWorkspaceOutOfMemory', 'Workspace Out Of Memory', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_WORKSPACE_OUT_OF_DISK, 'TemplateWorkspaceOutOfDisk', 'Workspace Out Of Disk', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_WORKSPACE_AUTOSTOP_REMINDER, 'TemplateWorkspaceAutostopReminder', 'Workspace Autostop Reminder', GROUP_WORKSPACE_EVENTS),
  e(TEMPLATE_USER_ACCOUNT_CREATED, 'TemplateUserAccountCreated', 'User account created', GROUP_USER_EVENTS),
  e(TEMPLATE_USER_ACCOUNT_DELETED, 'TemplateUserAccountDeleted', 'User account deleted', GROUP_USER_EVENTS),
  e(TEMPLATE_USER_ACCOUNT_SUSPENDED, 'TemplateUserAccountSuspended', 'User account suspended', GROUP_USER_EVENTS),
  e(TEMPLATE_USER_ACCOUNT_ACTIVATED, 'TemplateUserAccountActivated', 'User account activated', GROUP_USER_EVENTS),
  e(TEMPLATE_YOUR_ACCOUNT_SUSPENDED, 'TemplateYourAccountSuspended', 'Your account has been suspended', GROUP_USER_EVENTS),
  e(TEMPLATE_YOUR_ACCOUNT_ACTIVATED, 'TemplateYourAccountActivated', 'Your account has been activated', GROUP_USER_EVENTS),
  e(TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE, 'TemplateUserRequestedOneTimePasscode', 'One-Time Passcode', GROUP_USER_EVENTS),
  e(TEMPLATE_TEMPLATE_DELETED, 'TemplateTemplateDeleted', 'Template Deleted', GROUP_TEMPLATE_EVENTS),
  e(TEMPLATE_TEMPLATE_DEPRECATED, 'TemplateTemplateDeprecated', 'Template Deprecated', GROUP_TEMPLATE_EVENTS),
  e(TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT, 'TemplateWorkspaceBuildsFailedReport', 'Report: Workspace Builds Failed', GROUP_TEMPLATE_EVENTS),
  e(TEMPLATE_WORKSPACE_RESOURCE_REPLACED, 'TemplateWorkspaceResourceReplaced', 'Prebuilt Workspace Resource Replaced', GROUP_TEMPLATE_EVENTS),
  e(PREBUILD_FAILURE_LIMIT_REACHED, 'PrebuildFailureLimitReached', 'Prebuild Failure Limit Reached', GROUP_TEMPLATE_EVENTS),
  e(TEMPLATE_TASK_WORKING, 'TemplateTaskWorking', 'Task Working', GROUP_TASK_EVENTS),
  e(TEMPLATE_TASK_IDLE, 'TemplateTaskIdle', 'Task Idle', GROUP_TASK_EVENTS),
  e(TEMPLATE_TASK_COMPLETED, 'TemplateTaskCompleted', 'Task Completed', GROUP_TASK_EVENTS),
  e(TEMPLATE_TASK_FAILED, 'TemplateTaskFailed', 'Task Failed', GROUP_TASK_EVENTS),
  e(TEMPLATE_TASK_PAUSED, 'TemplateTaskPaused', 'Task Paused', GROUP_TASK_EVENTS),
  e(TEMPLATE_TASK_RESUMED, 'TemplateTaskResumed', 'Task Resumed', GROUP_TASK_EVENTS),
  e(TEMPLATE_TEST_NOTIFICATION, 'TemplateTestNotification', 'Troubleshooting Notification', GROUP_NOTIFICATION_EVENTS),
  e(TEMPLATE_NOTIFICATION_DIGEST, 'TemplateNotificationDigest', 'Notification Digest', GROUP_NOTIFICATION_EVENTS),
  e(TEMPLATE_CUSTOM_NOTIFICATION, 'TemplateCustomNotification', 'Custom Notification', GROUP_CUSTOM_EVENTS, true, 'custom'),
]);

const byId = new Map(CATALOGUE.map((c) => [c.id, c]));

/** The catalogue entry for a built-in template id, if any. */
export function catalogueEntry(id: string): CatalogueEntry | undefined {
  return byId.get(id);
}

/**
 * Critical templates (notification_templates.critical, migration 0130): a user cannot disable them
 * and their e-mails have no "stop receiving" link. The column is the truth; this mirrors it.
 */
export const CRITICAL_TEMPLATES: readonly string[] = Object.freeze([
  TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
  TEMPLATE_YOUR_ACCOUNT_SUSPENDED,
  TEMPLATE_YOUR_ACCOUNT_ACTIVATED,
]);

/** Built-in templates that go to every method except Inbox (the reference skips inbox for OTP). */
export const INBOX_EXCLUDED_TEMPLATES: readonly string[] = Object.freeze([TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE]);

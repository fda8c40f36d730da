// The render cases every golden test uses: each built-in template with representative labels
// and data (the reference's golden inputs, plus a few variants). Shared by golden.test.ts
// (Markdown) and golden-delivery.test.ts (e-mail HTML/text, webhook JSON).

import * as cat from '../../src/notifications/templates/catalogue.js';
import type { MessagePayload } from '../../src/notifications/types.js';

export interface Case {
  /** Golden file name without extension: the reference's Go constant name, plus an optional _Variant. */
  file: string;
  id: string;
  labels: Record<string, string>;
  data?: Record<string, unknown>;
  user?: Partial<MessagePayload>;
}

const failedBuild = (owner: string, ws: string, n: number, id: string) => ({
  workspace_owner_username: owner,
  workspace_name: ws,
  workspace_id: id,
  build_number: n,
});

export const CASES: Case[] = [
  {
    file: 'TemplateNotificationDigest',
    id: cat.TEMPLATE_NOTIFICATION_DIGEST,
    labels: { digest_count: '2', digest_since: '2025-03-04 13:05 (Europe/Berlin)', digest_reason: 'digest' },
    data: {
      group: {
        events: [
          { template: 'Custom Notification', title: 'Build *done*' },
          { template: 'Workspace Deleted', title: 'Workspace "dev" deleted' },
        ],
      },
    },
  },
  {
    file: 'TemplateWorkspaceDeleted',
    id: cat.TEMPLATE_WORKSPACE_DELETED,
    labels: { name: 'bobby-workspace', reason: 'autodeleted due to dormancy', initiator: 'autobuild' },
  },
  {
    file: 'TemplateWorkspaceDeleted_NoInitiator',
    id: cat.TEMPLATE_WORKSPACE_DELETED,
    labels: { name: 'bobby-workspace', reason: 'initiated by user' },
  },
  {
    file: 'TemplateWorkspaceAutobuildFailed',
    id: cat.TEMPLATE_WORKSPACE_AUTOBUILD_FAILED,
    labels: { name: 'bobby-workspace', reason: 'autostart' },
  },
  {
    file: 'TemplateWorkspaceManualBuildFailed',
    id: cat.TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED,
    labels: {
      name: 'bobby-workspace',
      template_name: 'bobby-template',
      template_version_name: 'bobby-template-version',
      initiator: 'joe',
      workspace_owner_username: 'mrbobby',
      workspace_build_number: '3',
    },
  },
  {
    file: 'TemplateWorkspaceDormant',
    id: cat.TEMPLATE_WORKSPACE_DORMANT,
    labels: { name: 'bobby-workspace', reason: 'breached the template\'s threshold for inactivity', initiator: 'autobuild', dormancyHours: '24', timeTilDormant: '24 hours' },
  },
  {
    file: 'TemplateWorkspaceMarkedForDeletion',
    id: cat.TEMPLATE_WORKSPACE_MARKED_FOR_DELETION,
    labels: { name: 'bobby-workspace', reason: 'template updated to new dormancy policy', dormancyHours: '24', timeTilDormant: '24 hours' },
  },
  {
    file: 'TemplateWorkspaceAutoUpdated',
    id: cat.TEMPLATE_WORKSPACE_AUTO_UPDATED,
    labels: { name: 'bobby-workspace', template_version_name: '1.0', template_version_message: 'template now includes catnip' },
  },
  {
    file: 'TemplateWorkspaceAutoUpdated_NoMessage',
    id: cat.TEMPLATE_WORKSPACE_AUTO_UPDATED,
    labels: { name: 'bobby-workspace', template_version_name: '1.0', template_version_message: 'None provided' },
  },
  {
    file: 'TemplateWorkspaceCreated',
    id: cat.TEMPLATE_WORKSPACE_CREATED,
    labels: { workspace: 'bobby-workspace', template: 'bobby-template', version: 'alpha', workspace_owner_username: 'mrbobby' },
  },
  {
    file: 'TemplateWorkspaceManuallyUpdated',
    id: cat.TEMPLATE_WORKSPACE_MANUALLY_UPDATED,
    labels: {
      organization: 'bobby-organization',
      template: 'bobby-template',
      version: 'alpha',
      workspace: 'bobby-workspace',
      workspace_owner_username: 'mrbobby',
      initiator: 'bobby',
    },
  },
  {
    file: 'TemplateWorkspaceOutOfMemory',
    id: cat.TEMPLATE_WORKSPACE_OUT_OF_MEMORY,
    labels: { workspace: 'bobby-workspace', threshold: '90%' },
    data: { timestamp: '2025-10-16T00:00:00Z' },
  },
  {
    file: 'TemplateWorkspaceOutOfDisk',
    id: cat.TEMPLATE_WORKSPACE_OUT_OF_DISK,
    labels: { workspace: 'bobby-workspace' },
    data: { volumes: [{ path: '/home/coder', threshold: '90%' }], timestamp: '2025-10-16T00:00:00Z' },
  },
  {
    file: 'TemplateWorkspaceOutOfDisk_MultipleVolumes',
    id: cat.TEMPLATE_WORKSPACE_OUT_OF_DISK,
    labels: { workspace: 'bobby-workspace' },
    data: {
      volumes: [
        { path: '/home/coder', threshold: '90%' },
        { path: '/dev/coder', threshold: '80%' },
        { path: '/etc/coder', threshold: '95%' },
      ],
    },
  },
  {
    file: 'TemplateUserAccountCreated',
    id: cat.TEMPLATE_USER_ACCOUNT_CREATED,
    labels: { created_account_name: 'bobby', created_account_user_name: 'William Tables', initiator: 'rob' },
  },
  {
    file: 'TemplateUserAccountCreated_NoName',
    id: cat.TEMPLATE_USER_ACCOUNT_CREATED,
    labels: { created_account_name: 'bobby', created_account_user_name: '', initiator: 'coder' },
  },
  {
    file: 'TemplateUserAccountDeleted',
    id: cat.TEMPLATE_USER_ACCOUNT_DELETED,
    labels: { deleted_account_name: 'bobby', deleted_account_user_name: 'William Tables', initiator: 'rob' },
  },
  {
    file: 'TemplateUserAccountSuspended',
    id: cat.TEMPLATE_USER_ACCOUNT_SUSPENDED,
    labels: { suspended_account_name: 'bobby', suspended_account_user_name: 'William Tables', initiator: 'rob' },
  },
  {
    file: 'TemplateUserAccountActivated',
    id: cat.TEMPLATE_USER_ACCOUNT_ACTIVATED,
    labels: { activated_account_name: 'bobby', activated_account_user_name: 'William Tables', initiator: 'rob' },
  },
  {
    file: 'TemplateYourAccountSuspended',
    id: cat.TEMPLATE_YOUR_ACCOUNT_SUSPENDED,
    labels: { suspended_account_name: 'bobby', initiator: 'rob' },
  },
  {
    file: 'TemplateYourAccountActivated',
    id: cat.TEMPLATE_YOUR_ACCOUNT_ACTIVATED,
    labels: { activated_account_name: 'bobby', initiator: 'rob' },
  },
  {
    file: 'TemplateUserRequestedOneTimePasscode',
    id: cat.TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
    labels: { one_time_passcode: 'fad9020b-6562-4cdb-87f1-0486f1bea415' },
    user: { user_email: 'bobby/drop-table+user@coder.com' },
  },
  {
    file: 'TemplateTemplateDeleted',
    id: cat.TEMPLATE_TEMPLATE_DELETED,
    labels: { name: 'Bobby\'s Template', initiator: 'rob' },
  },
  {
    file: 'TemplateTemplateDeprecated',
    id: cat.TEMPLATE_TEMPLATE_DEPRECATED,
    labels: { template: 'alpha', message: 'This template has been replaced by beta', organization: 'coder' },
  },
  {
    file: 'TemplateWorkspaceBuildsFailedReport',
    id: cat.TEMPLATE_WORKSPACE_BUILDS_FAILED_REPORT,
    labels: {},
    data: {
      report_frequency: 'week',
      templates: [
        {
          name: 'bobby-first-template',
          display_name: 'Bobby First Template',
          failed_builds: 4,
          total_builds: 55,
          versions: [
            {
              template_version_name: 'bobby-template-version-1',
              failed_count: 3,
              failed_builds: [
                failedBuild('mtojek', 'workspace-1', 1234, '00000000-0000-0000-0000-000000000001'),
                failedBuild('johndoe', 'my-workspace-3', 5678, '00000000-0000-0000-0000-000000000002'),
                failedBuild('jack', 'workwork', 774, '00000000-0000-0000-0000-000000000003'),
              ],
            },
            {
              template_version_name: 'bobby-template-version-2',
              failed_count: 1,
              failed_builds: [failedBuild('ben', 'cool-workspace', 8888, '00000000-0000-0000-0000-000000000004')],
            },
          ],
        },
        {
          name: 'bobby-second-template',
          display_name: 'Bobby Second Template',
          failed_builds: 5,
          total_builds: 50,
          versions: [
            {
              template_version_name: 'bobby-template-version-1',
              failed_count: 3,
              failed_builds: [
                failedBuild('daniellemaywood', 'workspace-9', 9234, '00000000-0000-0000-0000-000000000005'),
                failedBuild('johndoe', 'my-workspace-7', 8678, '00000000-0000-0000-0000-000000000006'),
                failedBuild('jack', 'workworkwork', 374, '00000000-0000-0000-0000-000000000007'),
              ],
            },
            {
              template_version_name: 'bobby-template-version-2',
              failed_count: 2,
              failed_builds: [
                failedBuild('ben', 'more-cool-workspace', 8878, '00000000-0000-0000-0000-000000000008'),
                failedBuild('ben', 'less-cool-workspace', 8848, '00000000-0000-0000-0000-000000000009'),
              ],
            },
          ],
        },
      ],
    },
  },
  {
    file: 'TemplateWorkspaceResourceReplaced',
    id: cat.TEMPLATE_WORKSPACE_RESOURCE_REPLACED,
    labels: {
      org: 'cern',
      workspace: 'my-workspace',
      workspace_build_num: '2',
      template: 'docker',
      template_version: 'angry_torvalds',
      preset: 'particle-accelerator',
      claimant: 'prebuilds-claimer',
    },
    data: { replacements: { 'docker_container[0]': 'env, hostname' } },
  },
  {
    file: 'PrebuildFailureLimitReached',
    id: cat.PREBUILD_FAILURE_LIMIT_REACHED,
    labels: { org: 'cern', template: 'docker', template_version: 'angry_torvalds', preset: 'particle-accelerator' },
    data: {},
  },
  {
    file: 'TemplateTaskWorking',
    id: cat.TEMPLATE_TASK_WORKING,
    labels: { task: 'Fix the flaky test in the render package', workspace: 'my-task-workspace' },
  },
  {
    file: 'TemplateTaskIdle',
    id: cat.TEMPLATE_TASK_IDLE,
    labels: { task: 'Fix the flaky test in the render package', workspace: 'my-task-workspace' },
  },
  {
    file: 'TemplateTaskCompleted',
    id: cat.TEMPLATE_TASK_COMPLETED,
    labels: { task: 'Fix the flaky test in the render package', workspace: 'my-task-workspace' },
  },
  {
    file: 'TemplateTaskFailed',
    id: cat.TEMPLATE_TASK_FAILED,
    labels: { task: 'Fix the flaky test in the render package', workspace: 'my-task-workspace' },
  },
  {
    file: 'TemplateTaskPaused',
    id: cat.TEMPLATE_TASK_PAUSED,
    labels: { task: 'Fix the flaky test in the render package', workspace: 'my-task-workspace', task_id: 'my-task-workspace', pause_reason: 'auto' },
  },
  {
    file: 'TemplateTaskResumed',
    id: cat.TEMPLATE_TASK_RESUMED,
    labels: { task: 'Fix the flaky test in the render package', workspace: 'my-task-workspace', task_id: 'my-task-workspace' },
  },
  {
    file: 'TemplateWorkspaceAutostopReminder',
    id: cat.TEMPLATE_WORKSPACE_AUTOSTOP_REMINDER,
    labels: { workspace: 'bobby-workspace', timeTilShutdown: '10 minutes from now' },
  },
  {
    file: 'TemplateTestNotification',
    id: cat.TEMPLATE_TEST_NOTIFICATION,
    labels: {},
    data: { timestamp: '2025-10-16T00:00:00Z' },
  },
  {
    file: 'TemplateCustomNotification',
    id: cat.TEMPLATE_CUSTOM_NOTIFICATION,
    labels: { custom_title: 'Custom Title', custom_message: 'Custom Message' },
  },
  {
    file: 'TemplateCustomNotification_Injection',
    id: cat.TEMPLATE_CUSTOM_NOTIFICATION,
    labels: { custom_title: '[Reset your password](http://evil.example)', custom_message: '<img src=x onerror=alert(1)> **urgent**' },
  },
  {
    // The sender's Markdown renders; a title reads as typed (no escape backslashes).
    file: 'TemplateCustomNotification_Markdown',
    id: cat.TEMPLATE_CUSTOM_NOTIFICATION,
    labels: {
      custom_title: 'Build #42 (main) done!',
      custom_message: 'The **main** build _passed_ in `4m 2s`.\n\n- 12 tests\n- 0 failures\n\nSee [the run](https://ci.example/runs/42) ![badge](https://ci.example/badge.svg)',
    },
  },
];

// Renders every built-in template (title, body, actions) with representative
// labels and data and compares with test/fixtures/golden/<Name>.md.
// Regenerate with UPDATE_GOLDEN=1 npx vitest run test/render — then check the
// diff by eye against the reference strings.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderActions, renderTitleBody } from '../../src/notifications/render/message.js';
import * as cat from '../../src/notifications/templates/catalogue.js';
import type { MessagePayload } from '../../src/notifications/types.js';
import { HELPERS, loadCatalogueRows, loadCatalogueRowsFromDatabase, payload, type TemplateRow } from './helpers.js';

const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface Case {
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

const CASES: Case[] = [
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
];

function renderCase(row: TemplateRow, c: Case): string {
  const p = payload({
    notification_name: row.name,
    notification_template_id: row.id,
    labels: c.labels,
    data: c.data ?? null,
    ...c.user,
  });
  const { title, body } = renderTitleBody(row, p, HELPERS);
  const actions = renderActions(row.actions, p, HELPERS);
  return [
    '=== title ===',
    title,
    '=== body ===',
    body,
    '=== actions ===',
    ...actions.map((a) => `[${a.label}](${a.url})`),
    '',
  ].join('\n');
}

let rows: TemplateRow[] = [];
const rowById = (id: string) => {
  const r = rows.find((x) => x.id === id);
  if (!r) throw new Error(`no template row ${id}`);
  return r;
};

beforeAll(() => {
  rows = loadCatalogueRows();
});

describe('catalogue SQL', () => {
  it('reads the same rows as a migrated database holds', async () => {
    expect(await loadCatalogueRowsFromDatabase()).toEqual(rows);
  }, 120_000);

  it('matches the catalogue constants (ids, names, groups, kind, enabled_by_default, method)', () => {
    const fromSql = rows
      .map((r) => ({ id: r.id, name: r.name, group: r.group, kind: r.kind, enabled_by_default: r.enabled_by_default, method: r.method }))
      .sort((a, b) => a.id.localeCompare(b.id));
    const fromTs = cat.CATALOGUE.map(({ id, name, group, kind, enabled_by_default, method }) => ({ id, name, group, kind, enabled_by_default, method })).sort(
      (a, b) => a.id.localeCompare(b.id),
    );
    expect(fromSql).toEqual(fromTs);
    expect(rows).toHaveLength(28);
  });

  it('disables Workspace Created and Workspace Manually Updated by default, and nothing else', () => {
    expect(rows.filter((r) => !r.enabled_by_default).map((r) => r.name).sort()).toEqual(['Workspace Created', 'Workspace Manually Updated']);
  });

  it('has no reference branding or public docs links left in the texts', () => {
    for (const r of rows) {
      const all = [r.title_template, r.body_template, JSON.stringify(r.actions)].join('\n');
      expect(all, r.name).not.toMatch(/coder\.com/);
      expect(all, r.name).not.toMatch(/\bCoder\b/);
    }
  });

  it('every action is a {label,url} pair', () => {
    for (const r of rows) {
      expect(Array.isArray(r.actions), r.name).toBe(true);
      for (const a of r.actions) expect(Object.keys(a).sort()).toEqual(['label', 'url']);
    }
  });
});

describe('golden renders', () => {
  it('every template in the SQL has a golden case', () => {
    const covered = new Set(CASES.map((c) => c.id));
    const missing = rows.filter((r) => !covered.has(r.id)).map((r) => r.name);
    expect(missing).toEqual([]);
  });

  it('golden file names start with the template Go name', () => {
    for (const c of CASES) {
      const entry = cat.catalogueEntry(c.id);
      expect(entry, c.file).toBeDefined();
      expect(c.file === entry!.goName || c.file.startsWith(entry!.goName + '_'), c.file).toBe(true);
    }
  });

  for (const c of CASES) {
    it(c.file, () => {
      const got = renderCase(rowById(c.id), c);
      const path = `${GOLDEN_DIR}${c.file}.md`;
      if (UPDATE || !existsSync(path)) {
        if (!UPDATE) throw new Error(`missing golden file ${path}; run with UPDATE_GOLDEN=1`);
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(path, got);
      }
      expect(got).toBe(readFileSync(path, 'utf8'));
    });
  }
});

// Bodies rendered by the reference (its webhook goldens' body_markdown) for the
// same inputs, with Herald's docs links in place of the reference's public docs.
describe('equals the reference rendering', () => {
  const body = (file: string) => {
    const c = CASES.find((x) => x.file === file)!;
    const row = rowById(c.id);
    return renderTitleBody(row, payload({ labels: c.labels, data: c.data ?? null }), HELPERS).body;
  };

  it('Out Of Disk, multiple volumes', () => {
    expect(body('TemplateWorkspaceOutOfDisk_MultipleVolumes')).toBe(
      'The following volumes are nearly full in workspace **bobby-workspace**\n\n- **`/home/coder`** is over 90% full\n- **`/dev/coder`** is over 80% full\n- **`/etc/coder`** is over 95% full\n',
    );
    expect(body('TemplateWorkspaceOutOfDisk')).toBe('Volume **`/home/coder`** is over 90% full in workspace **bobby-workspace**.');
  });

  it('Report: Workspace Builds Failed', () => {
    expect(body('TemplateWorkspaceBuildsFailedReport')).toBe(
      'The following templates have had build failures over the last week:\n\n- **Bobby First Template** failed to build 4/55 times\n\n- **Bobby Second Template** failed to build 5/50 times\n\n\n**Report:**\n\n**Bobby First Template**\n\n- **bobby-template-version-1** failed 3 times:\n\n   - [mtojek / workspace-1 / #1234](http://test.com/@mtojek/workspace-1/builds/1234)\n\n   - [johndoe / my-workspace-3 / #5678](http://test.com/@johndoe/my-workspace-3/builds/5678)\n\n   - [jack / workwork / #774](http://test.com/@jack/workwork/builds/774)\n\n\n- **bobby-template-version-2** failed 1 time:\n\n   - [ben / cool-workspace / #8888](http://test.com/@ben/cool-workspace/builds/8888)\n\n\n\n**Bobby Second Template**\n\n- **bobby-template-version-1** failed 3 times:\n\n   - [daniellemaywood / workspace-9 / #9234](http://test.com/@daniellemaywood/workspace-9/builds/9234)\n\n   - [johndoe / my-workspace-7 / #8678](http://test.com/@johndoe/my-workspace-7/builds/8678)\n\n   - [jack / workworkwork / #374](http://test.com/@jack/workworkwork/builds/374)\n\n\n- **bobby-template-version-2** failed 2 times:\n\n   - [ben / more-cool-workspace / #8878](http://test.com/@ben/more-cool-workspace/builds/8878)\n\n   - [ben / less-cool-workspace / #8848](http://test.com/@ben/less-cool-workspace/builds/8848)\n\n\n\n\nWe recommend reviewing these issues to ensure future builds are successful.',
    );
  });

  it('Prebuilt Workspace Resource Replaced', () => {
    expect(body('TemplateWorkspaceResourceReplaced')).toBe(
      '\nWorkspace **my-workspace** was claimed from a prebuilt workspace by **prebuilds-claimer**.\n\nDuring the claim, Terraform destroyed and recreated the following resources\nbecause one or more immutable attributes changed:\n\n- _docker_container\\[0\\]_  was replaced due to changes to _env, hostname_\n\n\nWhen Terraform must change an immutable attribute, it replaces the entire resource.\nIf you’re using prebuilds to speed up provisioning, unexpected replacements will slow down\nworkspace startup—even when claiming a prebuilt environment.\n\nFor tips on preventing replacements and improving claim performance, see [this guide](http://test.com/docs/admin/prebuilds#preventing-resource-replacement).\n\nNOTE: this prebuilt workspace used the **particle-accelerator** preset.\n',
    );
  });
});

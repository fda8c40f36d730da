// Renders every built-in template (title, body, actions) with representative
// labels and data and compares with test/fixtures/golden/<Name>.md.
// Regenerate with UPDATE_GOLDEN=1 npx vitest run test/render — then check the
// diff by eye against the reference strings.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderActions, renderTitleBody } from '../../src/notifications/render/message.js';
import * as cat from '../../src/notifications/templates/catalogue.js';
import { CASES, type Case } from './cases.js';
import { HELPERS, loadCatalogueRows, loadCatalogueRowsFromDatabase, payload, type TemplateRow } from './helpers.js';

const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

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
    expect(rows).toHaveLength(32);
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

// What a recipient finally gets, for every built-in template: the e-mail's HTML and plain-text
// parts and the webhook's JSON body, compared with test/fixtures/golden/{email,webhook}/<Name>.*.
// The inputs are the cases of the Markdown goldens (cases.ts) with a fixed message id, user and
// year, rendered along the delivery path: actions templated as enqueue does, title and body as
// the dispatcher prepares them, then renderEmail (what the SMTP method sends) and
// buildWebhookBody (what the webhook method posts, JSON.stringify'd; stored indented).
// Regenerate with UPDATE_GOLDEN=1 npx vitest run test/render/golden-delivery.test.ts and read the diff.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildWebhookBody } from '../../src/notifications/dispatch/webhook.js';
import { renderEmail } from '../../src/notifications/render/email.js';
import { renderActions, renderTitleBody } from '../../src/notifications/render/message.js';
import type { PreparedMessage } from '../../src/notifications/types.js';
import { CRITICAL_TEMPLATES } from '../../src/notifications/templates/catalogue.js';
import { CASES, type Case } from './cases.js';
import { HELPERS, loadCatalogueRows, payload } from './helpers.js';

const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/golden/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const MSG_ID = '5c4e1f0a-7b2d-4e8f-9a61-0d3b2c1e4f57';

const rows = loadCatalogueRows();

function prepare(c: Case): PreparedMessage {
  const row = rows.find((r) => r.id === c.id);
  if (!row) throw new Error(`no template row ${c.id}`);
  const p = payload({ notification_name: row.name, notification_template_id: row.id, labels: c.labels, data: c.data ?? null, ...c.user });
  // Enqueue templates the actions with base_url and current_year only.
  p.actions = renderActions(row.actions, p, { ...HELPERS, app_name: '', logo_url: '' });
  const { title, body } = renderTitleBody(row, p, HELPERS);
  return { id: MSG_ID, templateId: row.id, payload: p, titleMarkdown: title, bodyMarkdown: body, helpers: HELPERS, critical: CRITICAL_TEMPLATES.includes(row.id) };
}

function golden(rel: string, got: string): void {
  const path = `${GOLDEN_DIR}${rel}`;
  if (UPDATE) {
    mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
    writeFileSync(path, got);
  } else if (!existsSync(path)) {
    throw new Error(`missing golden file ${rel}; run with UPDATE_GOLDEN=1`);
  }
  expect(got).toBe(readFileSync(path, 'utf8'));
}

describe('delivered e-mail and webhook goldens', () => {
  it('cover every template of the catalogue', () => {
    const covered = new Set(CASES.map((c) => c.id));
    expect(rows.filter((r) => !covered.has(r.id)).map((r) => r.name)).toEqual([]);
  });

  it('have no golden file without a case', () => {
    const names = new Set(CASES.map((c) => c.file));
    for (const [dir, exts] of [
      ['email', ['.html', '.txt']],
      ['webhook', ['.json']],
    ] as const) {
      if (!existsSync(`${GOLDEN_DIR}${dir}`)) continue;
      const stale = readdirSync(`${GOLDEN_DIR}${dir}`).filter((f) => !exts.some((e) => f.endsWith(e) && names.has(f.slice(0, -e.length))));
      expect(stale, dir).toEqual([]);
    }
  });

  for (const c of CASES) {
    it(c.file, () => {
      const msg = prepare(c);
      const email = renderEmail(msg);
      golden(`email/${c.file}.html`, email.html);
      golden(`email/${c.file}.txt`, email.text);
      // The subject is the title without Markdown, on one line; the HTML carries it twice.
      expect(email.subject).not.toMatch(/[\r\n]/);
      const body = JSON.stringify(buildWebhookBody(msg));
      golden(`webhook/${c.file}.json`, JSON.stringify(JSON.parse(body), null, 2) + '\n');
    });
  }
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Action, MessagePayload, TemplateHelpers } from '../../src/notifications/types.js';

export const HELPERS: TemplateHelpers = {
  base_url: 'http://test.com',
  current_year: '2025',
  app_name: 'Herald',
  logo_url: 'http://test.com/logo.png',
};

export function payload(over: Partial<MessagePayload> = {}): MessagePayload {
  return {
    _version: '1.2',
    notification_name: 'Test',
    notification_template_id: '00000000-0000-0000-0000-000000000000',
    user_id: '00000000-0000-0000-0000-000000000000',
    user_email: 'bobby@coder.com',
    user_name: 'Bobby',
    user_username: 'bobby',
    actions: [],
    labels: {},
    data: null,
    targets: null,
    ...over,
  };
}

export interface TemplateRow {
  id: string;
  name: string;
  title_template: string;
  body_template: string;
  actions: Action[];
  group: string | null;
  method: string | null;
  kind: string;
  enabled_by_default: boolean;
}

export const MIGRATION_PATH = fileURLToPath(new URL('../../src/db/migrations/0003_notification_catalogue.sql', import.meta.url));
/** Later migrations that add built-in templates (lifecycle, Notification Digest). */
export const LATER_CATALOGUE_MIGRATIONS = ['0070_lifecycle.sql', '0091_noise.sql'].map((f) =>
  fileURLToPath(new URL(`../../src/db/migrations/${f}`, import.meta.url)),
);

/**
 * Read the catalogue rows straight from the migration text with a tiny SQL
 * reader (PGlite takes seconds to boot; the DB harness runs the same file on
 * PGlite and PostgreSQL in the DB suites). Understands exactly what the file
 * uses: one INSERT … VALUES with tuples of '…' / $tag$…$tag$ strings (optionally
 * ::cast), NULL, true, false, and -- comments.
 */
/** Every built-in template row: the 0003 catalogue plus templates added by later migrations. */
export function loadCatalogueRows(sql?: string): TemplateRow[] {
  if (sql !== undefined) return parseCatalogueRows(sql);
  return [MIGRATION_PATH, ...LATER_CATALOGUE_MIGRATIONS]
    .flatMap((p) => parseCatalogueRows(readFileSync(p, 'utf8')))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function parseCatalogueRows(sql: string): TemplateRow[] {
  const head = /INSERT INTO notification_templates\s*\(([^)]*)\)\s*VALUES/i.exec(sql);
  if (!head) throw new Error('no INSERT INTO notification_templates … VALUES');
  const cols = head[1]!.split(',').map((c) => c.trim().replace(/"/g, ''));
  let i = head.index + head[0].length;
  const rows: TemplateRow[] = [];
  const skip = () => {
    for (;;) {
      while (/\s/.test(sql[i] ?? '')) i++;
      if (sql.startsWith('--', i)) i = sql.indexOf('\n', i) === -1 ? sql.length : sql.indexOf('\n', i);
      else return;
    }
  };
  const value = (): unknown => {
    skip();
    let v: unknown;
    if (sql[i] === "'") {
      let s = '';
      i++;
      for (;;) {
        if (sql[i] === "'" && sql[i + 1] === "'") {
          s += "'";
          i += 2;
        } else if (sql[i] === "'") {
          i++;
          break;
        } else if (i >= sql.length) throw new Error('unterminated string');
        else s += sql[i++];
      }
      v = s;
    } else if (sql[i] === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end === -1) throw new Error(`unterminated ${tag}`);
      v = sql.slice(i + tag.length, end);
      i = end + tag.length;
    } else {
      const word = /^[A-Za-z]+/.exec(sql.slice(i))?.[0];
      if (!word) throw new Error(`unexpected ${JSON.stringify(sql.slice(i, i + 20))}`);
      i += word.length;
      v = { null: null, true: true, false: false }[word.toLowerCase() as 'null' | 'true' | 'false'];
      if (v === undefined) throw new Error(`unexpected word ${word}`);
    }
    skip();
    const cast = /^::([a-z_]+)/.exec(sql.slice(i));
    if (cast) {
      i += cast[0].length;
      if (cast[1] === 'jsonb' || cast[1] === 'json') v = JSON.parse(v as string);
    }
    return v;
  };
  for (;;) {
    skip();
    if (sql[i] !== '(') throw new Error(`expected ( at ${i}`);
    i++;
    const vals: unknown[] = [];
    for (;;) {
      vals.push(value());
      skip();
      if (sql[i] === ',') {
        i++;
        continue;
      }
      if (sql[i] === ')') {
        i++;
        break;
      }
      throw new Error(`expected , or ) at ${i}`);
    }
    if (vals.length !== cols.length) throw new Error(`row has ${vals.length} values for ${cols.length} columns`);
    rows.push(Object.fromEntries(cols.map((c, k) => [c, vals[k]])) as unknown as TemplateRow);
    skip();
    if (sql[i] === ',') {
      i++;
      continue;
    }
    if (sql[i] === ';') break;
    throw new Error(`expected , or ; at ${i}`);
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/** The same rows, by actually running the migration on PGlite (slow: opt-in). */
/** The catalogue as the migrated database holds it (a fresh PGlite test database). */
export async function loadCatalogueRowsFromDatabase(): Promise<TemplateRow[]> {
  const { freshDatabase } = await import('../support/db.js');
  const t = await freshDatabase('pglite');
  try {
    const res = await t.db.query<TemplateRow>(
      `SELECT id::text AS id, name, title_template, body_template, actions, "group", method::text AS method,
              kind::text AS kind, enabled_by_default FROM notification_templates`,
    );
    return res.rows.sort((a, b) => a.name.localeCompare(b.name));
  } finally {
    await t.drop();
  }
}

// Every SQL statement in src/ is prepared against the migrated schema on both engines, so a
// renamed column or table, a wrong cast or a missing enum value fails here, not for a user.
// The statements are found by walking the tree with the TypeScript compiler (see sql-scan.ts);
// nothing lists them by hand.

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { checkHow, checkStatement, scanSql, type SqlStatement } from './sql-scan.js';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * .query() calls whose SQL is not in the calling file: the engines' own pass-throughs of a
 * caller's statement (the callers' statements are checked where they are written).
 */
const DYNAMIC_ALLOWED = new Set(['src/db/postgres.ts', 'src/db/pglite.ts']);

/**
 * What the scanner finds today (153 statements, 189 variants), minus slack for refactoring:
 * a scanner that silently stops finding statements cannot pass.
 */
const MIN_STATEMENTS = 130;
const MIN_VARIANTS = 160;

const scan = scanSql(SRC, 'src');
const variants = scan.statements.flatMap((s) => s.variants.map((sql, k) => ({ s, k, sql })));

async function failures(db: TestDatabase['db'], list: { s: SqlStatement; k: number; sql: string }[]): Promise<string[]> {
  const out: string[] = [];
  for (const { s, k, sql } of list) {
    const err = await checkStatement(db, sql);
    if (err) out.push(`${s.file}:${s.line}${s.variants.length > 1 ? ` (variant ${k + 1}/${s.variants.length})` : ''}: ${err}\n    ${sql.replace(/\s+/g, ' ').trim()}`);
  }
  return out;
}

describe('SQL scanner', () => {
  it('finds the statements of the tree (not vacuously)', () => {
    const by = (how: string) => variants.filter((v) => checkHow(v.sql) === how).length;
    const withPlaceholders = scan.statements.filter((s) => s.placeholders.length).length;
    process.stdout.write(
      `[sql] ${scan.files} files, ${scan.statements.length} statements (${scan.statements.filter((s) => s.source === 'literal').length} outside a .query() call), ` +
        `${variants.length} variants: ${by('prepare')} prepared, ${by('rolled-back')} run and rolled back, ${by('control')} transaction control; ` +
        `${withPlaceholders} statements with runtime parts replaced by placeholders\n`,
    );
    expect(scan.files).toBeGreaterThan(50);
    expect(scan.statements.length).toBeGreaterThanOrEqual(MIN_STATEMENTS);
    expect(variants.length).toBeGreaterThanOrEqual(MIN_VARIANTS);
    // The statements of the main tables are among them.
    for (const table of ['notification_messages', 'notification_templates', 'users', 'workspaces', 'provisioner_jobs']) {
      expect(variants.some((v) => new RegExp(`\\b${table}\\b`).test(v.sql)), table).toBe(true);
    }
    expect(scan.statements.some((s) => s.truncated), 'a statement has more variants than are checked').toBe(false);
  });

  it('knows the text of every .query() call outside the engines', () => {
    expect(scan.dynamic.filter((d) => !DYNAMIC_ALLOWED.has(d.file)).map((d) => `${d.file}:${d.line} ${d.expr}`)).toEqual([]);
  });

  it('resolves constants, conditional parts and runtime WHERE lists', () => {
    const all = variants.map((v) => v.sql).join('\n');
    // Lock class from src/db/locks.ts, imported: a number, not `${MESSAGE_LOCK_CLASS}`.
    expect(all).toMatch(/pg_try_advisory_lock\(\d+, hashtext/);
    expect(all).not.toMatch(/\$\{/);
    // Both sides of `opts.forUpdate ? 'FOR UPDATE' : ''` are checked.
    expect(all).toMatch(/FOR UPDATE/);
    // Placeholders never leave a dangling `WHERE` or an unnumbered `$`.
    expect(all).not.toMatch(/\bWHERE\s*(ORDER|LIMIT|$)/m);
    expect(all).not.toMatch(/\$(?!\d)/);
  });
});

describeEachEngine('every SQL statement in src/ prepares against the migrated schema', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await freshDatabase(engine);
  });
  afterAll(() => t?.drop());

  it('all statements', async () => {
    const bad = await failures(t.db, variants);
    process.stdout.write(`[sql] ${engine}: ${variants.length - bad.length}/${variants.length} variants of ${scan.statements.length} statements pass\n`);
    expect(bad).toEqual([]);
  }, 120_000);

  it('fails when the schema renames a column the code uses', async () => {
    const uses = variants.filter((v) => /\bstatus_reason\b/.test(v.sql));
    expect(uses.length).toBeGreaterThan(0);
    await t.db.exec('ALTER TABLE notification_messages RENAME COLUMN status_reason TO status_note');
    try {
      const bad = await failures(t.db, uses);
      expect(bad.length).toBeGreaterThan(0);
      expect(bad.join('\n')).toMatch(/column .*status_reason.* does not exist/);
    } finally {
      await t.db.exec('ALTER TABLE notification_messages RENAME COLUMN status_note TO status_reason');
    }
  });

  it('fails when a statement in a source file names a column that does not exist', async () => {
    // A copy of the tree with one column renamed in one real statement, found by the scanner.
    // The column must be written in the statement's own lines (not in a constant it interpolates).
    const writtenAt = (s: (typeof scan.statements)[number]) =>
      readFileSync(join(SRC, '..', s.file), 'utf8')
        .split('\n')
        .findIndex((l, i) => i >= s.line - 1 && i < s.line + 15 && /\bcreated_at\b/.test(l));
    const target = scan.statements.find(
      (s) => s.source === 'query' && s.variants.every((v) => checkHow(v) === 'prepare' && /\bcreated_at\b/.test(v)) && writtenAt(s) >= 0,
    );
    expect(target).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'herald-sqlcheck-'));
    try {
      cpSync(SRC, join(dir, 'src'), { recursive: true });
      const file = join(dir, target!.file);
      const lines = readFileSync(file, 'utf8').split('\n');
      const at = writtenAt(target!);
      lines[at] = lines[at]!.replace(/\bcreated_at\b/, 'created_at_renamed');
      writeFileSync(file, lines.join('\n'));
      const broken = scanSql(join(dir, 'src'), 'src');
      expect(broken.statements.length).toBe(scan.statements.length);
      const list = broken.statements.flatMap((s) => s.variants.map((sql, k) => ({ s, k, sql })));
      const bad = await failures(t.db, list);
      expect(bad.length).toBeGreaterThan(0);
      expect(bad.every((b) => b.startsWith(`${target!.file}:`)), bad.join('\n')).toBe(true);
      expect(bad[0]).toMatch(/column .*created_at_renamed.* does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

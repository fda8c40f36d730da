// Finds every SQL statement in a source tree with the TypeScript compiler API, so that
// test/architecture/sql.test.ts can prepare each one against the migrated schema.
//
// Two sources of statements:
//  - the first argument of every `.query(...)` call, evaluated statically: string and template
//    literals, `+`, constants (also imported ones and object members, e.g. lock ids and column
//    lists), `[..].join(sep)` over constants, and both branches of `a ? b : c` / `a ?? b` / `a || b`
//    (each combination is a variant that is checked on its own);
//  - every other string/template literal whose text starts with an upper-case SQL keyword
//    (statements kept in constants, or passed through a helper): checked on its own unless it was
//    already used as a part of a `.query(...)` argument.
// An interpolation that cannot be resolved statically (a runtime WHERE list, a parameter index)
// becomes a placeholder chosen by what precedes it, see placeholderFor().

import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { Database } from '../../src/db/database.js';

export interface SqlStatement {
  /** Path relative to the scanned root's parent (e.g. `src/db/locks.ts`). */
  file: string;
  line: number;
  /** `query`: first argument of a .query() call; `literal`: a SQL-looking literal used elsewhere. */
  source: 'query' | 'literal';
  /** Every combination of the statically known alternatives, placeholders filled in. */
  variants: string[];
  /** Source text of the interpolations that had to be replaced by a placeholder. */
  placeholders: string[];
  /** True when there were more combinations than MAX_VARIANTS (the first ones are kept). */
  truncated: boolean;
}

export interface DynamicCall {
  file: string;
  line: number;
  /** Source text of the .query() argument that could not be evaluated at all. */
  expr: string;
}

export interface SqlScan {
  files: number;
  statements: SqlStatement[];
  /** .query() calls whose text is not known here (e.g. a helper's `sql` parameter). */
  dynamic: DynamicCall[];
}

const MAX_VARIANTS = 32;

/** Upper-case keywords a SQL statement starts with (after whitespace and comments); not an HTTP route key like "DELETE /users/{user}". */
const SQL_START =
  /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*(SELECT|INSERT|UPDATE|DELETE|WITH|MERGE|VALUES|LOCK|LISTEN|UNLISTEN|NOTIFY|CREATE|ALTER|DROP|TRUNCATE|SET|RESET|SHOW|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|START|DECLARE|FETCH|EXPLAIN|ANALYZE|VACUUM|COPY|GRANT|REVOKE|PREPARE|EXECUTE|DEALLOCATE|DO)\s+(?!\/[^*])\S/;

export function looksLikeSql(text: string): boolean {
  return SQL_START.test(text);
}

/** The statement's first keyword, upper-cased (comments skipped). */
export function firstKeyword(sql: string): string {
  const m = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*([A-Za-z]+)/.exec(sql);
  return (m?.[1] ?? '').toUpperCase();
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

const SENTINEL = (k: number) => `\u0000${k}\u0000`;

/**
 * A placeholder that keeps the statement valid, from the SQL before it: a parameter number after
 * `$`, `true` where a condition goes, nothing elsewhere (optional clauses such as FOR UPDATE).
 */
function placeholderFor(before: string, k: number): string {
  // Distinct numbers: two runtime indexes may stand for parameters of different types.
  if (before.endsWith('$')) return String(9000 + k);
  if (before.endsWith('"')) return 'herald_placeholder';
  const tail = before.replace(/\s+$/, '').toUpperCase();
  if (/(\bWHERE|\bAND|\bOR|\bON|\bNOT|\bWHEN|\bHAVING|\()$/.test(tail)) return 'true';
  return '';
}

/**
 * Fills placeholders, then renumbers $n parameters 1..k in order of number: a placeholder
 * condition drops the parameters it stood for, and PREPARE rejects gaps it cannot type.
 */
function finish(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const i = rest.indexOf('\u0000');
    if (i === -1) break;
    const j = rest.indexOf('\u0000', i + 1);
    out += rest.slice(0, i);
    out += placeholderFor(out, Number(rest.slice(i + 1, j)));
    rest = rest.slice(j + 1);
  }
  out += rest;
  const used = [...new Set([...out.matchAll(/\$(\d+)\b/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  const map = new Map(used.map((n, k) => [n, k + 1]));
  return out.replace(/\$(\d+)\b/g, (_, n: string) => `$${map.get(Number(n))}`);
}

function product(parts: string[][]): { out: string[]; truncated: boolean } {
  let acc = [''];
  let truncated = false;
  for (const alts of parts) {
    const next: string[] = [];
    for (const a of acc) for (const b of alts) next.push(a + b);
    if (next.length > MAX_VARIANTS) truncated = true;
    acc = [...new Set(next)].slice(0, MAX_VARIANTS);
  }
  return { out: acc, truncated };
}

/**
 * Scans every .ts file under root (a directory; the tree is walked, not a list, so files may move).
 * `label` is how paths are reported (defaults to the root's own name, e.g. `src`).
 */
export function scanSql(root: string, label = root.split(/[\\/]/).filter(Boolean).pop() ?? root): SqlScan {
  const files = listTs(root);
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const consumed = new Set<ts.Node>();
  const statements: SqlStatement[] = [];
  const dynamic: DynamicCall[] = [];
  const where = (n: ts.Node) => {
    const sf = n.getSourceFile();
    return { file: join(label, relative(root, sf.fileName)).split('\\').join('/'), line: sf.getLineAndCharacterOfPosition(n.getStart()).line + 1 };
  };

  /** Alternatives for a string-valued expression; null when nothing is known. */
  interface Ev {
    alts: string[];
    holes: string[];
    truncated: boolean;
  }
  /** Arguments bound to the parameters of an inlined function. */
  type Env = Map<ts.Declaration, { arg: ts.Expression; env: Env }>;
  interface Ctx {
    holes: string[];
    seen: Set<ts.Node>;
    env: Env;
  }
  let holeCount = 0;
  const hole = (n: ts.Node, c: Ctx): Ev => {
    c.holes.push(n.getText());
    return { alts: [SENTINEL(holeCount++)], holes: c.holes, truncated: false };
  };
  const lit = (text: string, c: Ctx): Ev => ({ alts: [text], holes: c.holes, truncated: false });

  const declOf = (n: ts.Node): ts.Declaration | undefined => {
    let s = checker.getSymbolAtLocation(n);
    if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
    return s?.valueDeclaration ?? s?.declarations?.[0];
  };

  const initializerOf = (d: ts.Declaration | undefined): ts.Expression | undefined => {
    if (!d) return undefined;
    if (ts.isVariableDeclaration(d) && d.initializer && ts.getCombinedNodeFlags(d) & ts.NodeFlags.Const) return d.initializer;
    if (ts.isPropertyAssignment(d)) return d.initializer;
    if (ts.isEnumMember(d)) return d.initializer;
    return undefined;
  };

  const unwrap = (e: ts.Expression): ts.Expression => {
    while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
    return e;
  };

  /** The single returned expression of a function (arrow expression body, or `{ return x; }`). */
  const returnedExpr = (d: ts.Declaration | undefined): { fn: ts.SignatureDeclaration; expr: ts.Expression } | undefined => {
    let fn: ts.Node | undefined = d;
    const init = initializerOf(d);
    if (init) fn = unwrap(init);
    if (!fn || !(ts.isFunctionDeclaration(fn) || ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) || !fn.body) return undefined;
    if (!ts.isBlock(fn.body)) return { fn, expr: fn.body };
    const only = fn.body.statements.length === 1 ? fn.body.statements[0] : undefined;
    return only && ts.isReturnStatement(only) && only.expression ? { fn, expr: only.expression } : undefined;
  };

  /** `where.push(x)` calls on the array declared by d, anywhere in its file. */
  const pushesOf = (d: ts.Declaration): ts.Expression[] => {
    const out: ts.Expression[] = [];
    const visit = (n: ts.Node): void => {
      if (
        ts.isCallExpression(n) &&
        ts.isPropertyAccessExpression(n.expression) &&
        n.expression.name.text === 'push' &&
        declOf(n.expression.expression) === d
      ) {
        out.push(...n.arguments);
      }
      ts.forEachChild(n, visit);
    };
    visit(d.getSourceFile());
    return out;
  };

  const evaluate = (e0: ts.Expression, c: Ctx): Ev | null => {
    const e = unwrap(e0);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) {
      consumed.add(e);
      return lit(e.text, c);
    }
    if (ts.isNumericLiteral(e)) return lit(String(Number(e.text.replace(/_/g, ''))), c);
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) {
      return lit(String(-Number(e.operand.text.replace(/_/g, ''))), c);
    }
    if (ts.isTemplateExpression(e)) {
      consumed.add(e);
      const parts: string[][] = [[e.head.text]];
      let truncated = false;
      for (const span of e.templateSpans) {
        const v = evaluate(span.expression, c) ?? hole(span.expression, c);
        truncated ||= v.truncated;
        parts.push(v.alts, [span.literal.text]);
      }
      const p = product(parts);
      return { alts: p.out, holes: c.holes, truncated: truncated || p.truncated };
    }
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const l = evaluate(e.left, c);
      const r = evaluate(e.right, c);
      if (!l && !r) return null;
      const p = product([(l ?? hole(e.left, c)).alts, (r ?? hole(e.right, c)).alts]);
      return { alts: p.out, holes: c.holes, truncated: !!l?.truncated || !!r?.truncated || p.truncated };
    }
    if (ts.isConditionalExpression(e)) return union([e.whenTrue, e.whenFalse], c);
    if (
      ts.isBinaryExpression(e) &&
      (e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || e.operatorToken.kind === ts.SyntaxKind.BarBarToken)
    ) {
      return union([e.left, e.right], c);
    }
    if (ts.isIdentifier(e) || ts.isPropertyAccessExpression(e)) {
      const d = declOf(e);
      const bound = d && c.env.get(d);
      if (bound) return evaluate(bound.arg, { ...c, env: bound.env });
      if (d && ts.isParameter(d)) return fromCallers(d, c);
      const init = initializerOf(d);
      if (!init || c.seen.has(init)) return null;
      c.seen.add(init);
      try {
        return evaluate(init, c);
      } finally {
        c.seen.delete(init);
      }
    }
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'join') return evalJoin(e, c);
    // sql.replace('?', x): a string pattern, first occurrence.
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'replace' && e.arguments.length === 2) {
      const pat = unwrap(e.arguments[0]!);
      const on = evaluate(e.expression.expression, c);
      if (!on || !(ts.isStringLiteral(pat) || ts.isNoSubstitutionTemplateLiteral(pat))) return null;
      const by = evaluate(e.arguments[1]!, c) ?? hole(e.arguments[1]!, c);
      const alts = [...new Set(on.alts.flatMap((a) => by.alts.map((b) => a.replace(pat.text, () => b))))];
      return { alts: alts.slice(0, MAX_VARIANTS), holes: c.holes, truncated: on.truncated || alts.length > MAX_VARIANTS };
    }
    // A call of a function that only returns an expression (e.g. a wrapper adding a CTE).
    if (ts.isCallExpression(e) && ts.isIdentifier(e.expression)) {
      const r = returnedExpr(declOf(e.expression));
      if (!r || c.seen.has(r.expr)) return null;
      const env: Env = new Map(c.env);
      r.fn.parameters.forEach((p, k) => {
        const arg = e.arguments[k] ?? p.initializer;
        if (arg) env.set(p, { arg, env: c.env });
      });
      c.seen.add(r.expr);
      try {
        return evaluate(r.expr, { ...c, env });
      } finally {
        c.seen.delete(r.expr);
      }
    }
    return null;
  };

  /**
   * A parameter of a function called in the same file with statically known arguments (e.g. a
   * local `add(condition, value)` helper): every argument passed is an alternative.
   */
  const fromCallers = (p: ts.ParameterDeclaration, c: Ctx): Ev | null => {
    const fn = p.parent;
    const k = fn.parameters.indexOf(p);
    let name: ts.Node | undefined;
    if (ts.isFunctionDeclaration(fn)) name = fn.name;
    else if ((ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && ts.isVariableDeclaration(fn.parent)) name = fn.parent.name;
    if (!name || c.seen.has(fn)) return null;
    const decl = declOf(name);
    const args: ts.Expression[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && declOf(n.expression) === decl && n.arguments[k]) args.push(n.arguments[k]!);
      ts.forEachChild(n, visit);
    };
    visit(fn.getSourceFile());
    if (!args.length) return null;
    c.seen.add(fn);
    try {
      return union(args, c);
    } finally {
      c.seen.delete(fn);
    }
  };

  /**
   * LIST.join(sep), LIST an array literal of constants or a const array that conditions are
   * pushed to (a runtime WHERE list): then each pushed element joined to the initial ones is a
   * variant, and so are all of them together.
   */
  const evalJoin = (e: ts.CallExpression, c: Ctx): Ev | null => {
    const sep = e.arguments[0] ? evaluate(e.arguments[0], c) : lit(',', c);
    if (!sep || sep.alts.length !== 1) return null;
    let arr: ts.Expression = unwrap((e.expression as ts.PropertyAccessExpression).expression);
    let decl: ts.Declaration | undefined;
    while (ts.isIdentifier(arr) || ts.isPropertyAccessExpression(arr)) {
      decl = declOf(arr);
      const init = initializerOf(decl);
      if (!init) return null;
      arr = unwrap(init);
    }
    if (!ts.isArrayLiteralExpression(arr)) return null;
    const one = (x: ts.Expression) => {
      const v = evaluate(x, c) ?? hole(x, c);
      return v.alts;
    };
    const base = arr.elements.map((x) => one(x)[0]!);
    const pushed = decl ? pushesOf(decl).map((x) => one(x)) : [];
    const lists: string[][] = pushed.length ? [...pushed.flatMap((alts) => alts.map((a) => [...base, a])), [...base, ...pushed.map((a) => a[0]!)]] : [base];
    if (pushed.length && base.length) lists.unshift(base);
    const alts = [...new Set(lists.map((l) => l.join(sep.alts[0])))];
    return { alts: alts.slice(0, MAX_VARIANTS), holes: c.holes, truncated: alts.length > MAX_VARIANTS };
  };

  const union = (es: ts.Expression[], c: Ctx): Ev | null => {
    const vs = es.map((x) => evaluate(x, c));
    if (vs.every((v) => !v)) return null;
    const alts = [...new Set(vs.flatMap((v, k) => (v ?? hole(es[k]!, c)).alts))];
    return { alts: alts.slice(0, MAX_VARIANTS), holes: c.holes, truncated: alts.length > MAX_VARIANTS || vs.some((v) => v?.truncated) };
  };

  const ctx = (): Ctx => ({ holes: [], seen: new Set(), env: new Map() });

  const record = (n: ts.Node, source: SqlStatement['source'], ev: Ev) => {
    statements.push({
      ...where(n),
      source,
      variants: [...new Set(ev.alts.map(finish))],
      placeholders: [...new Set(ev.holes)],
      truncated: ev.truncated,
    });
  };

  const sourceFiles = program.getSourceFiles().filter((sf) => files.includes(sf.fileName) || files.some((f) => sf.fileName.endsWith(f)));
  // Pass 1: .query() arguments.
  for (const sf of sourceFiles) {
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'query' && n.arguments[0]) {
        const arg = n.arguments[0];
        const ev = evaluate(arg, ctx());
        if (ev) record(arg, 'query', ev);
        else dynamic.push({ ...where(arg), expr: arg.getText() });
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  // Pass 2: SQL-looking literals not used by pass 1 (outermost only: a template inside a
  // template is part of it).
  for (const sf of sourceFiles) {
    const visit = (n: ts.Node): void => {
      if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n)) {
        const head = ts.isTemplateExpression(n) ? n.head.text : n.text;
        if (!consumed.has(n) && looksLikeSql(head) && !ts.isImportDeclaration(n.parent) && !ts.isExportDeclaration(n.parent)) {
          const ev = evaluate(n, ctx());
          if (ev) record(n, 'literal', ev);
        }
        if (!ts.isTemplateExpression(n)) return;
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  statements.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return { files: files.length, statements, dynamic };
}

/** How a statement is checked: PREPARE (parse + analyse, not run), run and rolled back, or not at all. */
export type CheckHow = 'prepare' | 'rolled-back' | 'control';

const PREPARABLE = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'WITH', 'VALUES', 'MERGE']);
/** Transaction control names no table or column: nothing to check against the schema. */
const CONTROL = new Set(['BEGIN', 'START', 'COMMIT', 'END', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'ABORT']);

export function checkHow(sql: string): CheckHow {
  const k = firstKeyword(sql);
  return PREPARABLE.has(k) ? 'prepare' : CONTROL.has(k) ? 'control' : 'rolled-back';
}

class RollBack extends Error {}

/**
 * Checks one statement against db's schema without keeping any effect: PREPARE (PostgreSQL's
 * parser and analyser: tables, columns, types, and the types of $n inferred) then DEALLOCATE,
 * inside a transaction that is rolled back; a utility statement that PREPARE does not take
 * (LISTEN, SET TRANSACTION, CREATE TABLE IF NOT EXISTS) runs as the first statement of a
 * rolled-back transaction. Returns the database's error message, or undefined.
 */
export async function checkStatement(db: Database, sql: string): Promise<string | undefined> {
  const how = checkHow(sql);
  if (how === 'control') return undefined;
  let error: string | undefined;
  await db
    .tx(async (q) => {
      try {
        if (how === 'prepare') {
          await q.exec(`PREPARE herald_sqlcheck AS ${sql}`);
          await q.exec('DEALLOCATE herald_sqlcheck');
        } else {
          await q.exec(sql);
        }
      } catch (err) {
        error = (err as Error).message;
      }
      throw new RollBack();
    })
    .catch((err) => {
      if (!(err instanceof RollBack)) throw err;
    });
  return error;
}

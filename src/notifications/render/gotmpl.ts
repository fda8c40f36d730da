// An interpreter for the subset of Go's text/template that the notification
// templates use. Templates are stored verbatim (as the reference stores them),
// so their rendered output must match what Go would produce for the same
// payload: missing map keys print "<no value>", JSON numbers print like Go's
// float64, maps iterate in sorted key order, and so on.
//
// Supported: text, {{ actions }} with trim markers ({{- and -}}), comments,
// fields (.A.b), variables ($x := …, $x = …, $, $x.y), if / else if / else,
// range (with one or two variables, over slices and maps), with / else with,
// pipelines, parenthesised calls, string / raw string / number / bool / nil
// literals, and the functions eq ne lt le gt ge and or not len index urlquery
// printf print, plus the caller's helpers (base_url, current_year, app_name,
// logo_url).

import type { MessagePayload, TemplateHelpers } from '../types.js';
import { escapePayloadForMarkdown } from './escape.js';

/** Thrown for templates that cannot be parsed. */
export class TemplateParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateParseError';
  }
}

/** Thrown when a parsed template fails while executing. */
export class TemplateExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateExecError';
  }
}

// ---------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------

/** Go's `int` (template integer literals, len, range indexes). JSON numbers stay plain JS numbers (float64). */
export class GoInt {
  constructor(readonly v: number) {}
}

/** The zero reflect.Value: what a missing map key evaluates to. Prints "<no value>". */
const MISSING: unique symbol = Symbol('missing');
type Missing = typeof MISSING;

/** The MessagePayload seen as the Go struct: fields are Go-named. */
class PayloadStruct {
  constructor(readonly p: MessagePayload) {}
}

type Value = unknown;

/** Maps whose Go type is map[string]string (the labels): `index` of a missing key gives "". */
const stringMaps = new WeakSet<object>();

const PAYLOAD_FIELDS: Record<string, (p: MessagePayload) => Value> = {
  Version: (p) => p._version,
  NotificationName: (p) => p.notification_name,
  NotificationTemplateID: (p) => p.notification_template_id,
  UserID: (p) => p.user_id,
  UserEmail: (p) => p.user_email,
  UserName: (p) => p.user_name,
  UserUsername: (p) => p.user_username,
  Actions: (p) => p.actions ?? null,
  Labels: (p) => {
    const l = p.labels ?? {};
    stringMaps.add(l);
    return l;
  },
  Data: (p) => p.data ?? null,
  Targets: (p) => p.targets ?? null,
};

function isPlainObject(v: Value): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoInt) && !(v instanceof PayloadStruct);
}

function typeName(v: Value): string {
  if (v === MISSING) return '<nil>';
  if (v === null || v === undefined) return '<nil>';
  if (v instanceof GoInt) return 'int';
  if (v instanceof PayloadStruct) return 'types.MessagePayload';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
  }
  if (Array.isArray(v)) return '[]interface {}';
  if (isPlainObject(v)) return stringMaps.has(v) ? 'map[string]string' : 'map[string]interface {}';
  return typeof v;
}

/**
 * Format a float64 the way Go's fmt %v does: strconv 'g' with the shortest
 * precision, switching to exponent form when exp < -4 || exp >= 6
 * (fmt.Sprint(3.0) == "3", 1.5 → "1.5", 1e6 → "1e+06").
 */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const neg = f < 0 ? '-' : '';
  const [mant, expStr] = Math.abs(f).toExponential().split('e');
  const digits = mant!.replace('.', '');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 6) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${neg}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' + e : String(e)}`;
  }
  if (exp >= digits.length - 1) return neg + digits + '0'.repeat(exp - (digits.length - 1));
  if (exp >= 0) return `${neg}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return `${neg}0.${'0'.repeat(-exp - 1)}${digits}`;
}

/** fmt.Sprint-style formatting of a value (used for {{ }} output and %v). */
function formatValue(v: Value, top = true): string {
  if (v === MISSING) return top ? '<no value>' : '<nil>';
  if (v === null || v === undefined) return top ? '<no value>' : '<nil>';
  if (v instanceof GoInt) return String(v.v);
  if (typeof v === 'number') return formatGoFloat(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return '[' + v.map((x) => formatValue(x, false)).join(' ') + ']';
  if (v instanceof PayloadStruct) return '{' + Object.keys(PAYLOAD_FIELDS).map((k) => formatValue(PAYLOAD_FIELDS[k]!(v.p), false)).join(' ') + '}';
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort(compareKeys);
    return 'map[' + keys.map((k) => `${k}:${formatValue(v[k], false)}`).join(' ') + ']';
  }
  return String(v);
}

function compareKeys(a: string, b: string): number {
  // Go sorts string keys by byte order; for BMP text UTF-16 order matches closely enough.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go's template truth. */
function truth(v: Value): boolean {
  if (v === MISSING || v === null || v === undefined) return false;
  if (v instanceof GoInt) return v.v !== 0;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PayloadStruct) return true;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

type TokKind =
  | 'field' // .Foo (value: "Foo")
  | 'dot' // .
  | 'var' // $x or $
  | 'ident' // function or keyword
  | 'string'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare'
  | 'assign'
  | 'comma';

interface Tok {
  kind: TokKind;
  text: string;
  /** For 'field' tokens after a term, e.g. `$x.a.b` or `(…).a` the chain is split into separate 'field' tokens with `chained`. */
  chained?: boolean;
}

interface RawAction {
  kind: 'action';
  toks: Tok[];
  line: number;
}
interface RawText {
  kind: 'text';
  text: string;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c);
}

function lex(src: string): (RawAction | RawText)[] {
  const items: (RawAction | RawText)[] = [];
  let pos = 0;
  let trimNextText = false;
  const lineAt = (i: number) => src.slice(0, i).split('\n').length;
  while (pos <= src.length) {
    const open = src.indexOf('{{', pos);
    let text = open === -1 ? src.slice(pos) : src.slice(pos, open);
    if (trimNextText) text = text.replace(/^[ \t\r\n]+/, '');
    trimNextText = false;
    if (open === -1) {
      if (text) items.push({ kind: 'text', text });
      break;
    }
    let i = open + 2;
    // Left trim marker: "{{- " (the dash must be followed by a space).
    if (src[i] === '-' && isSpace(src[i + 1])) {
      text = text.replace(/[ \t\r\n]+$/, '');
      i += 1;
    }
    if (text) items.push({ kind: 'text', text });
    const line = lineAt(open);
    // Comment: {{/* … */}}
    let j = i;
    while (isSpace(src[j])) j++;
    if (src.startsWith('/*', j)) {
      const end = src.indexOf('*/', j + 2);
      if (end === -1) throw new TemplateParseError(`template: ${line}: unclosed comment`);
      let k = end + 2;
      while (isSpace(src[k])) k++;
      let trimRight = false;
      if (src[k] === '-' && src[k + 1] === '}' && src[k + 2] === '}' && isSpace(src[k - 1])) {
        trimRight = true;
        k++;
      }
      if (!src.startsWith('}}', k)) throw new TemplateParseError(`template: ${line}: comment ends before closing delimiter`);
      pos = k + 2;
      trimNextText = trimRight;
      continue;
    }
    const toks: Tok[] = [];
    let closed = false;
    while (i < src.length) {
      const c = src[i]!;
      if (isSpace(c)) {
        // Right trim marker: " -}}"
        let k = i;
        while (isSpace(src[k])) k++;
        if (src[k] === '-' && src.startsWith('}}', k + 1)) {
          pos = k + 3;
          trimNextText = true;
          closed = true;
          break;
        }
        i = k;
        continue;
      }
      if (src.startsWith('}}', i)) {
        pos = i + 2;
        closed = true;
        break;
      }
      const prevEndsTerm = i > 0 && !isSpace(src[i - 1]) && toks.length > 0;
      if (c === '|') {
        toks.push({ kind: 'pipe', text: '|' });
        i++;
      } else if (c === '(') {
        toks.push({ kind: 'lparen', text: '(' });
        i++;
      } else if (c === ')') {
        toks.push({ kind: 'rparen', text: ')' });
        i++;
      } else if (c === ',') {
        toks.push({ kind: 'comma', text: ',' });
        i++;
      } else if (c === ':' && src[i + 1] === '=') {
        toks.push({ kind: 'declare', text: ':=' });
        i += 2;
      } else if (c === '=') {
        toks.push({ kind: 'assign', text: '=' });
        i++;
      } else if (c === '"') {
        let k = i + 1;
        let s = '';
        while (k < src.length && src[k] !== '"') {
          if (src[k] === '\n') throw new TemplateParseError(`template: ${line}: unterminated quoted string`);
          if (src[k] === '\\') {
            const e = src[k + 1];
            const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
            if (e !== undefined && e in map) {
              s += map[e];
              k += 2;
            } else if (e === 'x') {
              s += String.fromCharCode(parseInt(src.slice(k + 2, k + 4), 16));
              k += 4;
            } else if (e === 'u') {
              s += String.fromCharCode(parseInt(src.slice(k + 2, k + 6), 16));
              k += 6;
            } else {
              throw new TemplateParseError(`template: ${line}: unknown escape sequence in string`);
            }
          } else {
            s += src[k];
            k++;
          }
        }
        if (k >= src.length) throw new TemplateParseError(`template: ${line}: unterminated quoted string`);
        toks.push({ kind: 'string', text: s });
        i = k + 1;
      } else if (c === '`') {
        const end = src.indexOf('`', i + 1);
        if (end === -1) throw new TemplateParseError(`template: ${line}: unterminated raw quoted string`);
        toks.push({ kind: 'string', text: src.slice(i + 1, end) });
        i = end + 1;
      } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
        // field or dot
        let k = i + 1;
        while (isAlnum(src[k])) k++;
        const name = src.slice(i + 1, k);
        const chained = prevEndsTerm && (src[i - 1] === ')' || isAlnum(src[i - 1]) || src[i - 1] === '$');
        if (name === '') {
          if (chained) throw new TemplateParseError(`template: ${line}: unexpected . after term`);
          toks.push({ kind: 'dot', text: '.' });
        } else {
          toks.push({ kind: 'field', text: name, chained });
        }
        i = k;
      } else if (c === '$') {
        let k = i + 1;
        while (isAlnum(src[k])) k++;
        toks.push({ kind: 'var', text: src.slice(i, k) });
        i = k;
      } else if (/[0-9+\-.]/.test(c)) {
        const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/.exec(src.slice(i));
        const t = m?.[0] ?? '';
        if (!t || t === '+' || t === '-' || t === '.') throw new TemplateParseError(`template: ${line}: bad character ${JSON.stringify(c)}`);
        if (isAlnum(src[i + t.length])) throw new TemplateParseError(`template: ${line}: bad number syntax: ${JSON.stringify(src.slice(i, i + t.length + 1))}`);
        toks.push({ kind: 'number', text: t });
        i += t.length;
      } else if (/[A-Za-z_]/.test(c)) {
        let k = i;
        while (isAlnum(src[k])) k++;
        const word = src.slice(i, k);
        if (word === 'true' || word === 'false') toks.push({ kind: 'bool', text: word });
        else if (word === 'nil') toks.push({ kind: 'nil', text: word });
        else toks.push({ kind: 'ident', text: word });
        i = k;
      } else {
        throw new TemplateParseError(`template: ${line}: unexpected ${JSON.stringify(c)} in command`);
      }
    }
    if (!closed) throw new TemplateParseError(`template: ${line}: unclosed action`);
    items.push({ kind: 'action', toks, line });
    if (pos >= src.length) break;
  }
  return items;
}

// ---------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------

type Operand =
  | { t: 'dot' }
  | { t: 'field'; base: Operand | null; names: string[] } // base null ⇒ relative to dot
  | { t: 'var'; name: string; names: string[] }
  | { t: 'lit'; value: Value }
  | { t: 'func'; name: string }
  | { t: 'paren'; pipe: Pipeline; names: string[] };

interface Command {
  args: Operand[];
}

interface Pipeline {
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
  line: number;
}

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipeline }
  | { t: 'if' | 'with'; pipe: Pipeline; list: Node[]; elseList: Node[] | null }
  | { t: 'range'; pipe: Pipeline; list: Node[]; elseList: Node[] | null };

const BUILTINS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'not', 'len', 'index', 'urlquery', 'printf', 'print', 'println']);
const HELPERS = new Set(['base_url', 'current_year', 'app_name', 'logo_url']);
const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

class Parser {
  private i = 0;
  private items: (RawAction | RawText)[];
  constructor(items: (RawAction | RawText)[]) {
    this.items = items;
  }

  parseRoot(): Node[] {
    const { list, stop } = this.parseList();
    if (stop) throw new TemplateParseError(`template: ${stop.line}: unexpected {{${stop.toks[0]?.text}}}`);
    return list;
  }

  /** Parse nodes until {{end}} / {{else…}} (returned as `stop`) or EOF. */
  private parseList(): { list: Node[]; stop: RawAction | null } {
    const list: Node[] = [];
    while (this.i < this.items.length) {
      const it = this.items[this.i++]!;
      if (it.kind === 'text') {
        list.push({ t: 'text', text: it.text });
        continue;
      }
      const first = it.toks[0];
      if (!first) throw new TemplateParseError(`template: ${it.line}: missing value for command`);
      if (first.kind === 'ident' && (first.text === 'end' || first.text === 'else')) return { list, stop: it };
      if (first.kind === 'ident' && (first.text === 'if' || first.text === 'with' || first.text === 'range')) {
        list.push(this.parseControl(first.text, it.toks.slice(1), it.line));
        continue;
      }
      if (first.kind === 'ident' && KEYWORDS.has(first.text)) {
        throw new TemplateParseError(`template: ${it.line}: unsupported action {{${first.text}}}`);
      }
      list.push({ t: 'action', pipe: parsePipeline(it.toks, it.line, false) });
    }
    return { list, stop: null };
  }

  private parseControl(kind: 'if' | 'with' | 'range', toks: Tok[], line: number): Node {
    const pipe = parsePipeline(toks, line, kind === 'range');
    if (pipe.cmds.length === 0) throw new TemplateParseError(`template: ${line}: missing value for ${kind}`);
    const { list, stop } = this.parseList();
    if (!stop) throw new TemplateParseError(`template: ${line}: unexpected EOF (missing {{end}} for ${kind})`);
    let elseList: Node[] | null = null;
    if (stop.toks[0]!.text === 'else') {
      const rest = stop.toks.slice(1);
      if (rest.length > 0) {
        // {{else if …}} / {{else with …}}: an else branch holding one nested control that shares our {{end}}.
        const kw = rest[0]!;
        if (kw.kind !== 'ident' || (kw.text !== 'if' && kw.text !== 'with') || (kind === 'range')) {
          throw new TemplateParseError(`template: ${stop.line}: unexpected ${rest.map((t) => t.text).join(' ')} in else`);
        }
        elseList = [this.parseControl(kw.text as 'if' | 'with', rest.slice(1), stop.line)];
        return { t: kind, pipe, list, elseList } as Node;
      }
      const r = this.parseList();
      if (!r.stop || r.stop.toks[0]!.text !== 'end') {
        throw new TemplateParseError(`template: ${stop.line}: expected {{end}} after {{else}}`);
      }
      if (r.stop.toks.length > 1) throw new TemplateParseError(`template: ${r.stop.line}: unexpected tokens in {{end}}`);
      elseList = r.list;
    } else if (stop.toks.length > 1) {
      throw new TemplateParseError(`template: ${stop.line}: unexpected tokens in {{end}}`);
    }
    return { t: kind, pipe, list, elseList } as Node;
  }
}

function parsePipeline(toks: Tok[], line: number, isRange: boolean): Pipeline {
  let pos = 0;
  const decl: string[] = [];
  let isAssign = false;
  // Declarations: $x := …, $x = …, $k, $v := … (range only)
  if (toks[0]?.kind === 'var') {
    if (toks[1]?.kind === 'declare' || toks[1]?.kind === 'assign') {
      decl.push(toks[0].text);
      isAssign = toks[1].kind === 'assign';
      pos = 2;
    } else if (toks[1]?.kind === 'comma' && toks[2]?.kind === 'var' && (toks[3]?.kind === 'declare' || toks[3]?.kind === 'assign')) {
      if (!isRange) throw new TemplateParseError(`template: ${line}: too many declarations in command`);
      decl.push(toks[0].text, toks[2].text);
      isAssign = toks[3].kind === 'assign';
      pos = 4;
    }
  }
  for (const d of decl) {
    if (d === '$') throw new TemplateParseError(`template: ${line}: cannot declare $`);
  }
  const state = { pos };
  const pipe = parsePipeBody(toks, state, line, false);
  if (state.pos !== toks.length) throw new TemplateParseError(`template: ${line}: unexpected ${JSON.stringify(toks[state.pos]!.text)} in command`);
  return { decl, isAssign, cmds: pipe, line };
}

function parsePipeBody(toks: Tok[], st: { pos: number }, line: number, inParen: boolean): Command[] {
  const cmds: Command[] = [];
  let args: Operand[] = [];
  while (st.pos < toks.length) {
    const t = toks[st.pos]!;
    if (t.kind === 'rparen') {
      if (!inParen) throw new TemplateParseError(`template: ${line}: unexpected right paren`);
      break;
    }
    if (t.kind === 'pipe') {
      if (args.length === 0) throw new TemplateParseError(`template: ${line}: missing command before |`);
      cmds.push({ args });
      args = [];
      st.pos++;
      continue;
    }
    args.push(parseOperand(toks, st, line));
  }
  if (args.length > 0) cmds.push({ args });
  else if (cmds.length > 0) throw new TemplateParseError(`template: ${line}: missing command after |`);
  // Later pipeline stages must be functions (the piped value is appended as the last argument).
  for (let k = 1; k < cmds.length; k++) {
    const head = cmds[k]!.args[0]!;
    if (head.t !== 'func') throw new TemplateParseError(`template: ${line}: non executable command in pipeline stage ${k + 1}`);
  }
  return cmds;
}

function parseOperand(toks: Tok[], st: { pos: number }, line: number): Operand {
  const t = toks[st.pos++]!;
  let op: Operand;
  switch (t.kind) {
    case 'dot':
      op = { t: 'dot' };
      break;
    case 'field': {
      const names = [t.text];
      while (toks[st.pos]?.kind === 'field' && toks[st.pos]!.chained) names.push(toks[st.pos++]!.text);
      return { t: 'field', base: null, names };
    }
    case 'var': {
      const names: string[] = [];
      while (toks[st.pos]?.kind === 'field' && toks[st.pos]!.chained) names.push(toks[st.pos++]!.text);
      return { t: 'var', name: t.text, names };
    }
    case 'string':
      op = { t: 'lit', value: t.text };
      break;
    case 'bool':
      op = { t: 'lit', value: t.text === 'true' };
      break;
    case 'nil':
      op = { t: 'lit', value: null };
      break;
    case 'number':
      op = { t: 'lit', value: parseNumber(t.text, line) };
      break;
    case 'ident':
      if (KEYWORDS.has(t.text)) throw new TemplateParseError(`template: ${line}: unexpected keyword ${t.text} in command`);
      if (!BUILTINS.has(t.text) && !HELPERS.has(t.text)) throw new TemplateParseError(`template: ${line}: function ${JSON.stringify(t.text)} not defined`);
      op = { t: 'func', name: t.text };
      break;
    case 'lparen': {
      const pipe = parsePipeBody(toks, st, line, true);
      if (toks[st.pos]?.kind !== 'rparen') throw new TemplateParseError(`template: ${line}: unclosed left paren`);
      st.pos++;
      if (pipe.length === 0) throw new TemplateParseError(`template: ${line}: missing value for parenthesized pipeline`);
      const names: string[] = [];
      while (toks[st.pos]?.kind === 'field' && toks[st.pos]!.chained) names.push(toks[st.pos++]!.text);
      return { t: 'paren', pipe: { decl: [], isAssign: false, cmds: pipe, line }, names };
    }
    default:
      throw new TemplateParseError(`template: ${line}: unexpected ${JSON.stringify(t.text)} in operand`);
  }
  if (toks[st.pos]?.kind === 'field' && toks[st.pos]!.chained) {
    throw new TemplateParseError(`template: ${line}: unexpected . after term ${JSON.stringify(t.text)}`);
  }
  return op;
}

function parseNumber(text: string, line: number): Value {
  const clean = text.replace(/_/g, '');
  const isFloat = /[.eE]/.test(clean) && !/^[+-]?0[xX]/.test(clean);
  const n = Number(clean.replace(/^([+-]?)0[oO]/, '$10o').replace(/^\+/, ''));
  if (Number.isNaN(n)) throw new TemplateParseError(`template: ${line}: illegal number syntax: ${JSON.stringify(text)}`);
  if (isFloat) return n;
  if (!Number.isSafeInteger(n)) throw new TemplateParseError(`template: ${line}: integer overflow: ${text}`);
  return new GoInt(n);
}

// ---------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------

interface Scope {
  vars: { name: string; value: Value }[];
}

class Exec {
  private out: string[] = [];
  constructor(
    private readonly root: Value,
    private readonly helpers: TemplateHelpers,
  ) {}

  run(nodes: Node[]): string {
    const scope: Scope = { vars: [{ name: '$', value: this.root }] };
    this.walkList(nodes, this.root, scope);
    return this.out.join('');
  }

  private walkList(nodes: Node[], dot: Value, scope: Scope): void {
    for (const n of nodes) this.walk(n, dot, scope);
  }

  private walk(n: Node, dot: Value, scope: Scope): void {
    switch (n.t) {
      case 'text':
        this.out.push(n.text);
        return;
      case 'action': {
        const v = this.evalPipeline(n.pipe, dot, scope);
        if (n.pipe.decl.length === 0) this.out.push(formatValue(v));
        return;
      }
      case 'if':
      case 'with': {
        const mark = scope.vars.length;
        const v = this.evalPipeline(n.pipe, dot, scope);
        if (truth(v)) {
          this.walkList(n.list, n.t === 'with' ? v : dot, scope);
        } else if (n.elseList) {
          this.walkList(n.elseList, dot, scope);
        }
        scope.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(n, dot, scope);
        return;
    }
  }

  private walkRange(n: Extract<Node, { t: 'range' }>, dot: Value, scope: Scope): void {
    const mark = scope.vars.length;
    const pipe = n.pipe;
    const v = this.evalPipeline({ ...pipe, decl: [] }, dot, scope);
    const one = (key: Value, elem: Value) => {
      const inner = scope.vars.length;
      if (pipe.decl.length === 1) this.setVar(scope, pipe.decl[0]!, elem, pipe.isAssign, pipe.line);
      else if (pipe.decl.length === 2) {
        this.setVar(scope, pipe.decl[0]!, key, pipe.isAssign, pipe.line);
        this.setVar(scope, pipe.decl[1]!, elem, pipe.isAssign, pipe.line);
      }
      this.walkList(n.list, elem, scope);
      scope.vars.length = inner;
    };
    let ran = false;
    if (v === MISSING || v === null || v === undefined) {
      // Nothing to iterate (Go: an invalid value is not an error).
    } else if (Array.isArray(v)) {
      v.forEach((elem, idx) => {
        ran = true;
        one(new GoInt(idx), elem);
      });
    } else if (isPlainObject(v)) {
      for (const k of Object.keys(v).sort(compareKeys)) {
        ran = true;
        one(k, v[k]);
      }
    } else if (v instanceof GoInt) {
      for (let k = 0; k < v.v; k++) {
        ran = true;
        one(new GoInt(k), new GoInt(k));
      }
    } else {
      throw new TemplateExecError(`template: ${pipe.line}: range can't iterate over ${formatValue(v)}`);
    }
    if (!ran && n.elseList) this.walkList(n.elseList, dot, scope);
    scope.vars.length = mark;
  }

  private setVar(scope: Scope, name: string, value: Value, isAssign: boolean, line: number): void {
    if (isAssign) {
      for (let k = scope.vars.length - 1; k >= 0; k--) {
        if (scope.vars[k]!.name === name) {
          scope.vars[k]!.value = value;
          return;
        }
      }
      throw new TemplateExecError(`template: ${line}: undefined variable: ${name}`);
    }
    scope.vars.push({ name, value });
  }

  private lookupVar(scope: Scope, name: string, line: number): Value {
    for (let k = scope.vars.length - 1; k >= 0; k--) {
      if (scope.vars[k]!.name === name) return scope.vars[k]!.value;
    }
    throw new TemplateExecError(`template: ${line}: undefined variable: ${name}`);
  }

  private evalPipeline(pipe: Pipeline, dot: Value, scope: Scope): Value {
    let value: Value = MISSING;
    let first = true;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(cmd, dot, scope, first ? undefined : { v: value }, pipe.line);
      first = false;
    }
    for (const d of pipe.decl) this.setVar(scope, d, value, pipe.isAssign, pipe.line);
    return value;
  }

  private evalCommand(cmd: Command, dot: Value, scope: Scope, final: { v: Value } | undefined, line: number): Value {
    const head = cmd.args[0]!;
    if (head.t === 'func') {
      const args = cmd.args.slice(1);
      return this.callFunc(head.name, args, dot, scope, final, line);
    }
    if (head.t === 'lit' && head.value === null) throw new TemplateExecError(`template: ${line}: nil is not a command`);
    if (cmd.args.length > 1 || final) {
      throw new TemplateExecError(`template: ${line}: can't give argument to non-function ${describeOperand(head)}`);
    }
    return this.evalOperand(head, dot, scope, line);
  }

  private evalOperand(op: Operand, dot: Value, scope: Scope, line: number): Value {
    switch (op.t) {
      case 'dot':
        return dot;
      case 'lit':
        return op.value;
      case 'field':
        return this.evalFields(dot, op.names, line);
      case 'var':
        return this.evalFields(this.lookupVar(scope, op.name, line), op.names, line);
      case 'paren':
        return this.evalFields(this.evalPipeline(op.pipe, dot, scope), op.names, line);
      case 'func':
        return this.callFunc(op.name, [], dot, scope, undefined, line);
    }
  }

  private evalFields(recv: Value, names: string[], line: number): Value {
    let v = recv;
    for (const name of names) v = this.field(v, name, line);
    return v;
  }

  private field(recv: Value, name: string, line: number): Value {
    if (recv instanceof PayloadStruct) {
      const f = PAYLOAD_FIELDS[name];
      if (!f) throw new TemplateExecError(`template: ${line}: can't evaluate field ${name} in type types.MessagePayload`);
      return f(recv.p);
    }
    if (recv === MISSING) return MISSING; // Go: a field of an invalid value stays invalid.
    if (recv === null || recv === undefined) {
      // A nil map (e.g. payload data null): indexing yields the zero Value.
      return MISSING;
    }
    if (isPlainObject(recv)) {
      return Object.prototype.hasOwnProperty.call(recv, name) ? recv[name] : MISSING;
    }
    throw new TemplateExecError(`template: ${line}: can't evaluate field ${name} in type ${typeName(recv)}`);
  }

  private callFunc(name: string, argOps: Operand[], dot: Value, scope: Scope, final: { v: Value } | undefined, line: number): Value {
    const lazy = argOps.map((op) => () => this.evalOperand(op, dot, scope, line));
    if (final) lazy.push(() => final.v);
    const fail = (msg: string): never => {
      throw new TemplateExecError(`template: ${line}: error calling ${name}: ${msg}`);
    };
    const want = (n: number) => {
      if (lazy.length !== n) throw new TemplateExecError(`template: ${line}: wrong number of args for ${name}: want ${n} got ${lazy.length}`);
    };
    const atLeast = (n: number) => {
      if (lazy.length < n) throw new TemplateExecError(`template: ${line}: wrong number of args for ${name}: want at least ${n} got ${lazy.length}`);
    };
    if (HELPERS.has(name)) {
      want(0);
      return this.helpers[name as keyof TemplateHelpers];
    }
    switch (name) {
      case 'and': {
        atLeast(1);
        let v: Value = MISSING;
        for (const a of lazy) {
          v = a();
          if (!truth(v)) return v;
        }
        return v;
      }
      case 'or': {
        atLeast(1);
        let v: Value = MISSING;
        for (const a of lazy) {
          v = a();
          if (truth(v)) return v;
        }
        return v;
      }
      case 'not':
        want(1);
        return !truth(lazy[0]!());
    }
    const args = lazy.map((f) => f());
    switch (name) {
      case 'eq': {
        atLeast(1);
        if (args.length < 2) fail('missing argument for comparison');
        const a = args[0];
        for (const b of args.slice(1)) {
          if (goEqual(a, b, fail)) return true;
        }
        return false;
      }
      case 'ne':
        want(2);
        return !goEqual(args[0], args[1], fail);
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        want(2);
        const c = goCompare(args[0], args[1], fail);
        return name === 'lt' ? c < 0 : name === 'le' ? c <= 0 : name === 'gt' ? c > 0 : c >= 0;
      }
      case 'len': {
        want(1);
        const v = args[0];
        if (typeof v === 'string') return new GoInt(Buffer.byteLength(v, 'utf8'));
        if (Array.isArray(v)) return new GoInt(v.length);
        if (isPlainObject(v)) return new GoInt(Object.keys(v).length);
        if (v === MISSING || v === null || v === undefined) return fail('len of nil pointer');
        return fail(`len of type ${typeName(v)}`);
      }
      case 'index': {
        atLeast(1);
        let v = args[0];
        if (v === MISSING || v === null || v === undefined) return fail('index of untyped nil');
        for (const k of args.slice(1)) {
          if (Array.isArray(v)) {
            if (!(k instanceof GoInt)) return fail(`cannot index slice/array with type ${typeName(k)}`);
            if (k.v < 0 || k.v >= v.length) return fail(`index out of range: ${k.v}`);
            v = v[k.v];
          } else if (isPlainObject(v)) {
            if (typeof k !== 'string') return fail(`value has type ${typeName(k)}; should be string`);
            if (Object.prototype.hasOwnProperty.call(v, k)) v = v[k];
            else v = stringMaps.has(v) ? '' : null; // the map's zero element
          } else if (typeof v === 'string') {
            if (!(k instanceof GoInt)) return fail(`cannot index string with type ${typeName(k)}`);
            const bytes = Buffer.from(v, 'utf8');
            if (k.v < 0 || k.v >= bytes.length) return fail(`index out of range: ${k.v}`);
            v = new GoInt(bytes[k.v]!);
          } else if (v === null || v === MISSING) {
            return fail('index of untyped nil');
          } else {
            return fail(`can't index item of type ${typeName(v)}`);
          }
        }
        return v;
      }
      case 'urlquery':
        return queryEscape(sprint(args));
      case 'print':
        return sprint(args);
      case 'println':
        return args.map((a) => formatValue(a, false)).join(' ') + '\n';
      case 'printf': {
        atLeast(1);
        const f = args[0];
        if (typeof f !== 'string') return fail(`wrong type for value; expected string; got ${typeName(f)}`);
        return goSprintf(f, args.slice(1));
      }
    }
    throw new TemplateExecError(`template: ${line}: function ${JSON.stringify(name)} not defined`);
  }
}

function describeOperand(op: Operand): string {
  switch (op.t) {
    case 'dot':
      return '.';
    case 'field':
      return '.' + op.names.join('.');
    case 'var':
      return op.name + op.names.map((n) => '.' + n).join('');
    case 'lit':
      return formatValue(op.value);
    case 'func':
      return op.name;
    case 'paren':
      return '(…)';
  }
}

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid' | 'other';

function basicKind(v: Value): BasicKind {
  if (v === MISSING) return 'invalid';
  if (v instanceof GoInt) return 'int';
  if (typeof v === 'number') return 'float';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v === null || v === undefined) return 'invalid';
  return 'other';
}

function numOf(v: Value): number {
  return v instanceof GoInt ? v.v : (v as number);
}

function goEqual(a: Value, b: Value, fail: (m: string) => never): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka !== kb) {
    if (ka === 'invalid' || kb === 'invalid') return false;
    return fail('incompatible types for comparison');
  }
  switch (ka) {
    case 'bool':
    case 'string':
      return a === b;
    case 'int':
    case 'float':
      return numOf(a) === numOf(b);
    case 'invalid':
      return true;
    default:
      return fail(`non-comparable type ${typeName(a)}`);
  }
}

function goCompare(a: Value, b: Value, fail: (m: string) => never): number {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'invalid' || kb === 'invalid' || ka === 'other' || kb === 'other' || ka === 'bool') {
    return fail('invalid type for comparison');
  }
  if (ka !== kb) return fail('incompatible types for comparison');
  if (ka === 'string') return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  return numOf(a) - numOf(b);
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
function sprint(args: Value[]): string {
  let s = '';
  args.forEach((a, i) => {
    const isStr = typeof a === 'string';
    if (i > 0 && !isStr && typeof args[i - 1] !== 'string') s += ' ';
    s += formatValue(a, false);
  });
  return s;
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** A small fmt.Sprintf: %v %s %d %q %t %%, with Go's error notation for bad verbs. */
function goSprintf(format: string, args: Value[]): string {
  let out = '';
  let argi = 0;
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const verb = format[++i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[argi++];
    const bad = () => `%!${verb}(${typeName(a)}=${formatValue(a, false)})`;
    const nilish = a === MISSING || a === null || a === undefined;
    switch (verb) {
      case 'v':
        out += formatValue(a, false);
        break;
      case 's':
        if (nilish) out += '%!s(<nil>)';
        else if (typeof a === 'string' || Array.isArray(a) || isPlainObject(a)) out += formatValue(a, false);
        else out += bad();
        break;
      case 'd':
        if (a instanceof GoInt) out += String(a.v);
        else out += nilish ? '%!d(<nil>)' : bad();
        break;
      case 'q':
        if (typeof a === 'string') out += JSON.stringify(a);
        else out += nilish ? '%!q(<nil>)' : bad();
        break;
      case 't':
        if (typeof a === 'boolean') out += String(a);
        else out += nilish ? '%!t(<nil>)' : bad();
        break;
      default:
        out += `%!${verb}(${typeName(a)}=${formatValue(a, false)})`;
    }
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => `${typeName(a)}=${formatValue(a, false)}`).join(', ') + ')';
  }
  return out;
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/** A parsed template, ready to execute against many payloads. */
export interface ParsedTemplate {
  readonly source: string;
  execute(payload: MessagePayload, helpers: TemplateHelpers): string;
}

/** Parse a template (throws TemplateParseError). Prefer {@link getParsed}, which caches. */
export function parseTemplate(source: string): ParsedTemplate {
  const nodes = new Parser(lex(source)).parseRoot();
  return {
    source,
    execute(payload, helpers) {
      return new Exec(new PayloadStruct(payload), helpers).run(nodes);
    },
  };
}

const CACHE_LIMIT = 1000;
const cache = new Map<string, ParsedTemplate>();

/** Parse with an LRU-ish cache keyed by the template source. */
export function getParsed(source: string): ParsedTemplate {
  const hit = cache.get(source);
  if (hit) {
    cache.delete(source);
    cache.set(source, hit);
    return hit;
  }
  const parsed = parseTemplate(source);
  cache.set(source, parsed);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return parsed;
}

/** Drop every cached parse (tests). */
export function clearTemplateCache(): void {
  cache.clear();
}

export interface RenderOptions {
  /** Escape user-controlled label values and data strings for Markdown before rendering (title/body). */
  escapeLabels?: boolean;
}

/**
 * Render a stored Go template against a payload. Throws TemplateParseError or
 * TemplateExecError (the dispatcher treats both as permanent failures).
 */
export function renderTemplate(source: string, payload: MessagePayload, helpers: TemplateHelpers, opts: RenderOptions = {}): string {
  const parsed = getParsed(source);
  return parsed.execute(opts.escapeLabels ? escapePayloadForMarkdown(payload) : payload, helpers);
}

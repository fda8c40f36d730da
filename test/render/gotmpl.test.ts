import { describe, expect, it } from 'vitest';
import {
  TemplateExecError,
  TemplateParseError,
  clearTemplateCache,
  formatGoFloat,
  getParsed,
  renderTemplate,
} from '../../src/notifications/render/gotmpl.js';
import type { MessagePayload } from '../../src/notifications/types.js';
import { HELPERS, payload } from './helpers.js';

const P = payload({
  notification_name: 'Workspace Deleted',
  notification_template_id: 'f517da0b-cdc9-410f-ab89-a86107c420ed',
  user_id: 'c0ffee00-0000-0000-0000-000000000001',
  actions: [{ label: 'View', url: 'http://x' }],
  labels: { name: 'bobby-workspace', empty: '', reason: 'autodeleted due to dormancy' },
  data: {
    n: 3,
    f: 1.5,
    big: 1000000,
    small: 0.00001,
    neg: -2,
    t: true,
    nil: null,
    list: ['a', 'b', 'c'],
    nums: [1, 2],
    map: { b: 2, a: 'x', c: { d: 'deep' } },
    volumes: [{ path: '/home/coder', threshold: '90%' }],
  },
  targets: ['t1', 't2'],
});

const r = (src: string, p: MessagePayload = P) => renderTemplate(src, p, HELPERS);

describe('text and fields', () => {
  it('passes text through', () => {
    expect(r('plain text\nwith lines')).toBe('plain text\nwith lines');
    expect(r('')).toBe('');
  });

  it('maps Go field names onto the payload', () => {
    expect(r('{{.UserName}}|{{.UserEmail}}|{{.UserUsername}}|{{.UserID}}')).toBe(
      'Bobby|bobby@coder.com|bobby|c0ffee00-0000-0000-0000-000000000001',
    );
    expect(r('{{.NotificationName}}|{{.NotificationTemplateID}}')).toBe('Workspace Deleted|f517da0b-cdc9-410f-ab89-a86107c420ed');
    expect(r('{{len .Actions}} {{(index .Actions 0).label}} {{.Targets}}')).toBe('1 View [t1 t2]');
  });

  it('reads labels and nested data', () => {
    expect(r('Workspace "{{.Labels.name}}" deleted')).toBe('Workspace "bobby-workspace" deleted');
    expect(r('{{.Data.map.c.d}}')).toBe('deep');
    expect(r('{{ .Labels.name }}')).toBe('bobby-workspace');
  });

  it('renders a missing key as <no value>', () => {
    expect(r('{{.Labels.missing}}')).toBe('<no value>');
    expect(r('{{.Data.missing}}')).toBe('<no value>');
    expect(r('{{.Data.missing.deeper}}')).toBe('<no value>');
    expect(r('{{.Data.nil}}')).toBe('<no value>');
    expect(r('{{.Data.x}}', payload({ data: null }))).toBe('<no value>');
  });

  it('errors on unknown struct fields and fields of scalars', () => {
    expect(() => r('{{.Nope}}')).toThrow(TemplateExecError);
    expect(() => r('{{.Nope}}')).toThrow(/can't evaluate field Nope/);
    expect(() => r('{{.Labels.name.x}}')).toThrow(/can't evaluate field x in type string/);
  });
});

describe('value formatting', () => {
  it('prints JSON numbers like Go float64', () => {
    expect(r('{{.Data.n}} {{.Data.f}} {{.Data.big}} {{.Data.small}} {{.Data.neg}}')).toBe('3 1.5 1e+06 1e-05 -2');
    expect(formatGoFloat(123456)).toBe('123456');
    expect(formatGoFloat(1234567)).toBe('1.234567e+06');
    expect(formatGoFloat(0.0001)).toBe('0.0001');
    expect(formatGoFloat(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(formatGoFloat(0)).toBe('0');
  });

  it('prints bools, slices and maps like fmt', () => {
    expect(r('{{.Data.t}} {{.Data.list}} {{.Data.nums}}')).toBe('true [a b c] [1 2]');
    expect(r('{{.Data.map}}')).toBe('map[a:x b:2 c:map[d:deep]]');
    expect(r('{{.Data.volumes}}')).toBe('[map[path:/home/coder threshold:90%]]');
  });

  it('prints literals', () => {
    expect(r('{{"s"}} {{`raw\\n`}} {{1}} {{1.0}} {{1.5}} {{true}} {{-3}} {{"a\\tb"}}')).toBe('s raw\\n 1 1 1.5 true -3 a\tb');
  });
});

describe('trim markers and comments', () => {
  it('trims whitespace on either side', () => {
    expect(r('a  \n {{- .Labels.name}}')).toBe('abobby-workspace');
    expect(r('{{.Labels.name -}} \n\t b')).toBe('bobby-workspaceb');
    expect(r('x {{- " y " -}} z')).toBe('x y z');
  });

  it('does not treat a negative number as a trim marker', () => {
    expect(r('a {{-1}} b')).toBe('a -1 b');
  });

  it('drops comments', () => {
    expect(r('a{{/* hidden */}}b')).toBe('ab');
    expect(r('a {{- /* hidden */ -}} b')).toBe('ab');
  });
});

describe('control flow', () => {
  it('if / else if / else', () => {
    const t = '{{if .Labels.missing}}1{{else if .Labels.empty}}2{{else if .Labels.name}}3{{else}}4{{end}}';
    expect(r(t)).toBe('3');
    expect(r('{{if .Labels.empty}}yes{{else}}no{{end}}')).toBe('no');
    expect(r('{{if .Data.nil}}yes{{else}}no{{end}}')).toBe('no');
    expect(r('{{if .Data.list}}yes{{end}}')).toBe('yes');
    expect(r('{{if 0}}yes{{else}}no{{end}}')).toBe('no');
  });

  it('reference conditional: initiator', () => {
    const t = '"**{{.Labels.reason}}{{ if .Labels.initiator }} ({{ .Labels.initiator }}){{end}}**"';
    expect(r(t)).toBe('"**autodeleted due to dormancy**"');
    expect(r(t, payload({ labels: { reason: 'r', initiator: 'autobuild' } }))).toBe('"**r (autobuild)**"');
  });

  it('range over a slice, with variables and else', () => {
    expect(r('{{range .Data.list}}[{{.}}]{{end}}')).toBe('[a][b][c]');
    expect(r('{{range $i, $v := .Data.list}}{{$i}}={{$v}} {{end}}')).toBe('0=a 1=b 2=c ');
    expect(r('{{range $v := .Data.list}}{{$v}}{{end}}')).toBe('abc');
    expect(r('{{range .Data.missing}}x{{else}}empty{{end}}')).toBe('empty');
    expect(r('{{range .Data.nil}}x{{end}}')).toBe('');
  });

  it('range over a map in sorted key order', () => {
    const p = payload({ data: { m: { zeta: 1, alpha: 2, mid: 3 } } });
    expect(r('{{range $k, $v := .Data.m}}{{$k}}:{{$v}};{{end}}', p)).toBe('alpha:2;mid:3;zeta:1;');
    expect(r('{{range .Data.m}}{{.}}{{end}}', p)).toBe('231');
  });

  it('range errors on a scalar', () => {
    expect(() => r('{{range .Labels.name}}x{{end}}')).toThrow(/range can't iterate/);
  });

  it('with sets dot, with else', () => {
    expect(r('{{with .Data.map}}{{.a}}{{end}}')).toBe('x');
    expect(r('{{with .Labels.missing}}x{{else}}none{{end}}')).toBe('none');
    expect(r('{{with $x := .Labels.name}}{{$x}}{{end}}')).toBe('bobby-workspace');
  });
});

describe('variables', () => {
  it('declares, reads fields of, and assigns', () => {
    expect(r('{{ $volume := index .Data.volumes 0 }}{{$volume.path}} {{$volume.threshold}}')).toBe('/home/coder 90%');
    expect(r('{{$x := "a"}}{{range .Data.list}}{{$x = .}}{{end}}{{$x}}')).toBe('c');
    expect(r('{{range .Data.list}}{{$.UserName}}{{end}}')).toBe('BobbyBobbyBobby');
  });

  it('scopes variables to their block', () => {
    expect(() => r('{{if true}}{{$y := 1}}{{end}}{{$y}}')).toThrow(/undefined variable: \$y/);
  });
});

describe('pipelines and functions', () => {
  it('pipes the value as the last argument', () => {
    expect(r('{{.UserEmail | urlquery}}', payload({ user_email: 'a+b c@x.com' }))).toBe('a%2Bb+c%40x.com');
    expect(r('{{.Labels.name | printf "<%s>"}}')).toBe('<bobby-workspace>');
    expect(r('{{.Data.list | len}}')).toBe('3');
  });

  it('comparisons', () => {
    expect(r('{{eq .Labels.name "bobby-workspace"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt 2.5 1.0}} {{ge "b" "a"}}')).toBe(
      'true true true true true true',
    );
    expect(r('{{eq 1 2 3 1}}')).toBe('true');
    expect(r('{{ if eq (len .Data.volumes) 1 }}one{{ else }}many{{ end }}')).toBe('one');
    expect(r('{{if gt .Data.n 1.0}}s{{end}}')).toBe('s');
    expect(r('{{eq .Labels.missing "x"}}')).toBe('false');
  });

  it('rejects comparing int with float64 as Go does', () => {
    expect(() => r('{{gt .Data.n 1}}')).toThrow(/incompatible types for comparison/);
  });

  it('and / or / not return Go values and short-circuit', () => {
    expect(r('{{and .Labels.name .Labels.reason}}')).toBe('autodeleted due to dormancy');
    expect(r('{{or .Labels.empty .Labels.name}}')).toBe('bobby-workspace');
    expect(r('{{not .Labels.empty}} {{not .Labels.name}}')).toBe('true false');
    expect(r('{{or .Labels.name (index .Data.list 99)}}')).toBe('bobby-workspace');
  });

  it('len and index', () => {
    expect(r('{{len .Labels.name}} {{len .Data.map}} {{len "é"}}')).toBe('15 3 2');
    expect(r('{{index .Data.list 1}} {{index .Data.map "a"}} {{index .Labels "name"}}')).toBe('b x bobby-workspace');
    expect(r('[{{index .Labels "nope"}}]')).toBe('[]');
    expect(r('{{index .Data.map "nope"}}')).toBe('<no value>');
    expect(() => r('{{index .Data.list 9}}')).toThrow(/index out of range/);
    expect(() => r('{{len .Data.n}}')).toThrow(/len of type float64/);
  });

  it('printf', () => {
    expect(r('{{printf "%s has %d items (%v)" .Labels.name (len .Data.list) .Data.f}}')).toBe('bobby-workspace has 3 items (1.5)');
    expect(r('{{printf "%v %v %v" .Data.n .Data.list .Data.t}}')).toBe('3 [a b c] true');
    expect(r('{{printf "%d" .Data.n}}')).toBe('%!d(float64=3)');
    expect(r('{{printf "100%%"}}')).toBe('100%');
    expect(r('{{printf "%s"}}')).toBe('%!s(MISSING)');
  });

  it('parenthesised arguments and field access on them', () => {
    expect(r('{{(index .Data.volumes 0).path}}')).toBe('/home/coder');
    expect(r('{{printf "%s-%s" (index .Data.list 0) (printf "%d" (len .Data.nums))}}')).toBe('a-2');
  });

  it('helpers', () => {
    expect(r('{{ base_url }}/workspaces {{app_name}} {{current_year}} {{logo_url}}')).toBe(
      'http://test.com/workspaces Herald 2025 http://test.com/logo.png',
    );
  });
});

describe('errors', () => {
  const parseErr = (src: string, re: RegExp) => {
    expect(() => getParsed(src)).toThrow(TemplateParseError);
    expect(() => getParsed(src)).toThrow(re);
  };

  it('reports parse errors clearly', () => {
    parseErr('{{.Labels.name', /unclosed action/);
    parseErr('{{if .Labels.name}}x', /missing \{\{end\}\}/);
    parseErr('x{{end}}', /unexpected \{\{end\}\}/);
    parseErr('{{nosuchfunc 1}}', /function "nosuchfunc" not defined/);
    parseErr('{{"unterminated}}', /unterminated quoted string/);
    parseErr('{{(index .Data.list 1}}', /unclosed left paren/);
    parseErr('{{ . | }}', /missing command after \|/);
    parseErr('line1\n{{else}}', /2: unexpected/);
  });

  it('reports execution errors clearly', () => {
    expect(() => r('{{.Labels.name 1}}')).toThrow(/can't give argument to non-function/);
    expect(() => r('{{$nope}}')).toThrow(/undefined variable/);
    expect(() => r('{{nil}}')).toThrow(/nil is not a command/);
    expect(() => r('{{index .Data.list "x"}}')).toThrow(/cannot index slice/);
  });
});

describe('parse cache', () => {
  it('returns the same parsed template for the same source', () => {
    clearTemplateCache();
    const a = getParsed('{{.UserName}}');
    expect(getParsed('{{.UserName}}')).toBe(a);
    expect(a.execute(P, HELPERS)).toBe('Bobby');
  });
});

// Template version parameters: their declaration and the validation of values given for builds.

export { AI_PROMPT_PARAMETER } from '../../contract/templates.js';

export type ParameterType = 'string' | 'number' | 'bool' | 'list(string)';

export interface ParameterOption {
  name: string;
  description: string;
  value: string;
  icon: string;
}

export interface ParameterRow {
  template_version_id: string;
  name: string;
  display_name: string;
  description: string;
  type: ParameterType;
  mutable: boolean;
  default_value: string;
  icon: string;
  options: ParameterOption[];
  validation_regex: string;
  validation_min: number | null;
  validation_max: number | null;
  validation_error: string;
  validation_monotonic: string;
  required: boolean;
  ephemeral: boolean;
  display_order: number;
}

export interface NameValue {
  name: string;
  value: string;
}

/** Why a value is not acceptable for a parameter, or undefined when it is. */
export function checkParameterValue(p: ParameterRow, value: string): string | undefined {
  const custom = (fallback: string) => (p.validation_error ? p.validation_error : fallback);
  switch (p.type) {
    case 'number': {
      if (!/^-?\d+(\.\d+)?$/.test(value.trim())) return `parameter value "${value}" is not a number`;
      const n = Number(value);
      if (p.validation_min !== null && n < p.validation_min) return custom(`value ${value} is less than the minimum ${p.validation_min}`);
      if (p.validation_max !== null && n > p.validation_max) return custom(`value ${value} is more than the maximum ${p.validation_max}`);
      break;
    }
    case 'bool':
      if (value !== 'true' && value !== 'false') return `boolean value can be either "true" or "false", got "${value}"`;
      break;
    case 'list(string)': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        return 'value must be a JSON array of strings';
      }
      if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== 'string')) return 'value must be a JSON array of strings';
      break;
    }
    default:
      if (p.validation_regex) {
        let re: RegExp;
        try {
          re = new RegExp(p.validation_regex);
        } catch {
          return `invalid validation regex ${p.validation_regex}`;
        }
        if (!re.test(value)) return custom(`value "${value}" does not match the validation regex ${p.validation_regex}`);
      }
  }
  if (p.options.length > 0 && p.type !== 'list(string)' && !p.options.some((o) => o.value === value)) {
    return `parameter value "${value}" must be one of: ${p.options.map((o) => JSON.stringify(o.value)).join(', ')}`;
  }
  return undefined;
}

export class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * The values of a new build: asked-for values, else the previous build's (ephemeral ones are not
 * carried over), else the preset's, else the default. Immutable parameters keep their first value.
 */
export function resolveParameters(opts: {
  parameters: ParameterRow[];
  requested: NameValue[];
  previous?: NameValue[];
  preset?: NameValue[];
  firstBuild: boolean;
}): NameValue[] {
  const byName = new Map(opts.parameters.map((p) => [p.name, p]));
  const requested = new Map<string, string>();
  for (const r of opts.requested) {
    if (!byName.has(r.name)) throw new ParameterError(r.name, `Parameter "${r.name}" is not present in the template.`);
    if (requested.has(r.name)) throw new ParameterError(r.name, `Parameter "${r.name}" is given more than once.`);
    requested.set(r.name, r.value);
  }
  const previous = new Map((opts.previous ?? []).map((x) => [x.name, x.value]));
  const preset = new Map((opts.preset ?? []).map((x) => [x.name, x.value]));
  const out: NameValue[] = [];
  for (const p of [...opts.parameters].sort((a, b) => a.display_order - b.display_order || a.name.localeCompare(b.name))) {
    let value: string | undefined;
    if (preset.has(p.name)) value = preset.get(p.name);
    else if (requested.has(p.name)) value = requested.get(p.name);
    else if (!p.ephemeral && previous.has(p.name)) value = previous.get(p.name);
    if (!opts.firstBuild && !p.mutable && previous.has(p.name) && value !== undefined && value !== previous.get(p.name)) {
      throw new ParameterError(p.name, `Parameter "${p.name}" is not mutable, so it can't be updated after creating a workspace.`);
    }
    if (value === undefined) {
      if (p.required) throw new ParameterError(p.name, `Parameter "${p.name}" is required but was not provided.`);
      value = p.default_value;
    }
    const problem = checkParameterValue(p, value);
    if (problem) throw new ParameterError(p.name, problem);
    out.push({ name: p.name, value });
  }
  return out;
}

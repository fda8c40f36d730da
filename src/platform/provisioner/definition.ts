// A template version's provisioner definition, and the resources a provisioner reports back.
//
// The built-in provisioner is deterministic: it does exactly what the definition declares. An
// external runner (a real Terraform runner) receives the definition in the job and reports its own
// resources, so for `provisioner: "external"` only the provisioner choice matters here.

export type Transition = 'start' | 'stop' | 'delete';

export interface AppSpec {
  slug: string;
  display_name?: string;
  icon?: string;
  url?: string;
  command?: string;
  external?: boolean;
  subdomain?: boolean;
  hidden?: boolean;
  open_in?: string;
  sharing_level?: string;
}

export interface AgentSpec {
  name: string;
  /** A token chosen by the runner (external provisioners); generated when absent. */
  auth_token?: string;
  operating_system?: string;
  architecture?: string;
  directory?: string;
  apps?: AppSpec[];
  /** The reference's coder_agent resources_monitoring: usage thresholds in percent. */
  resources_monitoring?: ResourcesMonitoring;
}

export interface ResourcesMonitoring {
  memory?: { enabled: boolean; threshold: number };
  volumes?: { path: string; enabled: boolean; threshold: number }[];
}

function threshold(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) throw new DefinitionError(field, 'must be an integer percentage (0-100)');
  return v;
}

function parseMonitoring(raw: unknown, f: string): ResourcesMonitoring | undefined {
  if (raw === undefined) return undefined;
  if (!isObj(raw)) throw new DefinitionError(f, 'must be an object');
  const out: ResourcesMonitoring = {};
  if (raw.memory !== undefined) {
    if (!isObj(raw.memory)) throw new DefinitionError(`${f}.memory`, 'must be an object');
    out.memory = { enabled: raw.memory.enabled !== false, threshold: threshold(raw.memory.threshold, `${f}.memory.threshold`) };
  }
  if (raw.volumes !== undefined) {
    if (!Array.isArray(raw.volumes)) throw new DefinitionError(`${f}.volumes`, 'must be an array');
    const paths = new Set<string>();
    out.volumes = raw.volumes.map((v, i) => {
      if (!isObj(v)) throw new DefinitionError(`${f}.volumes[${i}]`, 'must be an object');
      const path = str(v.path, `${f}.volumes[${i}].path`, { max: 4096 })!;
      if (!path.startsWith('/')) throw new DefinitionError(`${f}.volumes[${i}].path`, 'must be an absolute path');
      if (paths.has(path)) throw new DefinitionError(`${f}.volumes[${i}].path`, `duplicate volume path "${path}"`);
      paths.add(path);
      return { path, enabled: v.enabled !== false, threshold: threshold(v.threshold, `${f}.volumes[${i}].threshold`) };
    });
  }
  return out;
}

export interface ResourceSpec {
  name: string;
  type: string;
  hide?: boolean;
  icon?: string;
  instance_type?: string;
  daily_cost?: number;
  metadata?: { key: string; value: string; sensitive?: boolean }[];
  agents?: AgentSpec[];
}

/** The sidebar app of an AI task: an app slug, optionally qualified by its agent's name. */
export type SidebarAppRef = string | { agent?: string; slug: string };

/** What a finished build produced (built-in: from the definition; external: from the runner). */
export interface BuildOutcome {
  resources: ResourceSpec[];
  has_ai_task?: boolean;
  ai_task_sidebar_app?: SidebarAppRef;
  /** `terraform show -json` of the plan, kept on the job for later analysis (replacements). */
  plan?: unknown;
  logs?: LogLine[];
}

export interface LogLine {
  level?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  stage?: string;
  output: string;
}

export interface Definition extends BuildOutcome {
  provisioner: 'builtin' | 'external';
  /** Milliseconds the built-in provisioner takes per job. */
  delay_ms?: number;
  /** A non-empty error makes builds fail with it (for the transitions in fail_on, default all). */
  error?: string;
  fail_on?: Transition[];
}

export class DefinitionError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(detail);
  }
}

const SLUG_RE = /^[a-z0-9](-?[a-z0-9])*$/;
const NAME_RE = /^[a-zA-Z0-9_-]+$/;
const TRANSITIONS: Transition[] = ['start', 'stop', 'delete'];
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, field: string, opts: { optional?: boolean; max?: number } = {}): string | undefined {
  if (v === undefined || v === null) {
    if (opts.optional) return undefined;
    throw new DefinitionError(field, 'is required');
  }
  if (typeof v !== 'string') throw new DefinitionError(field, 'must be a string');
  if (opts.max && v.length > opts.max) throw new DefinitionError(field, `must be at most ${opts.max} characters`);
  return v;
}

function bool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new DefinitionError(field, 'must be a boolean');
  return v;
}

/** Validates resources, agents and apps as reported for one build. */
export function parseOutcome(raw: unknown, path = ''): BuildOutcome {
  const at = (f: string) => (path ? `${path}.${f}` : f);
  if (!isObj(raw)) throw new DefinitionError(path || 'body', 'must be an object');
  const resources: ResourceSpec[] = [];
  const rawResources = raw.resources ?? [];
  if (!Array.isArray(rawResources)) throw new DefinitionError(at('resources'), 'must be an array');
  const agentNames = new Set<string>();
  const apps: { agent: string; slug: string }[] = [];
  rawResources.forEach((r, i) => {
    const f = at(`resources[${i}]`);
    if (!isObj(r)) throw new DefinitionError(f, 'must be an object');
    const name = str(r.name, `${f}.name`, { max: 64 })!;
    const type = str(r.type, `${f}.type`, { max: 192 })!;
    const agents: AgentSpec[] = [];
    const rawAgents = r.agents ?? [];
    if (!Array.isArray(rawAgents)) throw new DefinitionError(`${f}.agents`, 'must be an array');
    rawAgents.forEach((a, j) => {
      const fa = `${f}.agents[${j}]`;
      if (!isObj(a)) throw new DefinitionError(fa, 'must be an object');
      const agentName = str(a.name, `${fa}.name`, { max: 64 })!;
      if (!NAME_RE.test(agentName)) throw new DefinitionError(`${fa}.name`, `agent name "${agentName}" may contain only letters, digits, "-" and "_"`);
      if (agentNames.has(agentName)) throw new DefinitionError(`${fa}.name`, `duplicate agent name "${agentName}"`);
      agentNames.add(agentName);
      const token = str(a.auth_token, `${fa}.auth_token`, { optional: true, max: 256 });
      if (token !== undefined && token.length < 16) throw new DefinitionError(`${fa}.auth_token`, 'must be at least 16 characters');
      const appSpecs: AppSpec[] = [];
      const rawApps = a.apps ?? [];
      if (!Array.isArray(rawApps)) throw new DefinitionError(`${fa}.apps`, 'must be an array');
      const slugs = new Set<string>();
      rawApps.forEach((p, k) => {
        const fp = `${fa}.apps[${k}]`;
        if (!isObj(p)) throw new DefinitionError(fp, 'must be an object');
        const slug = str(p.slug, `${fp}.slug`, { max: 64 })!;
        if (!SLUG_RE.test(slug)) throw new DefinitionError(`${fp}.slug`, `app slug "${slug}" must be lowercase letters, digits and single hyphens`);
        if (slugs.has(slug)) throw new DefinitionError(`${fp}.slug`, `duplicate app slug "${slug}"`);
        slugs.add(slug);
        apps.push({ agent: agentName, slug });
        appSpecs.push({
          slug,
          display_name: str(p.display_name, `${fp}.display_name`, { optional: true, max: 64 }),
          icon: str(p.icon, `${fp}.icon`, { optional: true, max: 256 }),
          url: str(p.url, `${fp}.url`, { optional: true, max: 65534 }),
          command: str(p.command, `${fp}.command`, { optional: true, max: 65534 }),
          external: bool(p.external, `${fp}.external`),
          subdomain: bool(p.subdomain, `${fp}.subdomain`),
          hidden: bool(p.hidden, `${fp}.hidden`),
          open_in: str(p.open_in, `${fp}.open_in`, { optional: true, max: 32 }),
          sharing_level: str(p.sharing_level, `${fp}.sharing_level`, { optional: true, max: 32 }),
        });
      });
      agents.push({
        name: agentName,
        auth_token: token,
        operating_system: str(a.operating_system, `${fa}.operating_system`, { optional: true, max: 64 }),
        architecture: str(a.architecture, `${fa}.architecture`, { optional: true, max: 64 }),
        directory: str(a.directory, `${fa}.directory`, { optional: true, max: 4096 }),
        apps: appSpecs,
        resources_monitoring: parseMonitoring(a.resources_monitoring, `${fa}.resources_monitoring`),
      });
    });
    let metadata: ResourceSpec['metadata'];
    if (r.metadata !== undefined) {
      if (!Array.isArray(r.metadata)) throw new DefinitionError(`${f}.metadata`, 'must be an array');
      metadata = r.metadata.map((m, k) => {
        if (!isObj(m)) throw new DefinitionError(`${f}.metadata[${k}]`, 'must be an object');
        return {
          key: str(m.key, `${f}.metadata[${k}].key`)!,
          value: str(m.value, `${f}.metadata[${k}].value`) ?? '',
          sensitive: bool(m.sensitive, `${f}.metadata[${k}].sensitive`),
        };
      });
    }
    if (r.daily_cost !== undefined && (!Number.isInteger(r.daily_cost) || (r.daily_cost as number) < 0)) {
      throw new DefinitionError(`${f}.daily_cost`, 'must be a non-negative integer');
    }
    resources.push({
      name,
      type,
      hide: bool(r.hide, `${f}.hide`),
      icon: str(r.icon, `${f}.icon`, { optional: true, max: 256 }),
      instance_type: str(r.instance_type, `${f}.instance_type`, { optional: true, max: 256 }),
      daily_cost: r.daily_cost as number | undefined,
      metadata,
      agents,
    });
  });

  const hasAiTask = bool(raw.has_ai_task, at('has_ai_task'));
  let sidebar: SidebarAppRef | undefined;
  if (raw.ai_task_sidebar_app !== undefined && raw.ai_task_sidebar_app !== null) {
    const s = raw.ai_task_sidebar_app;
    if (typeof s === 'string') sidebar = s;
    else if (isObj(s)) sidebar = { slug: str(s.slug, at('ai_task_sidebar_app.slug'))!, agent: str(s.agent, at('ai_task_sidebar_app.agent'), { optional: true }) };
    else throw new DefinitionError(at('ai_task_sidebar_app'), 'must be an app slug or {agent, slug}');
  }
  if (hasAiTask) {
    if (!sidebar) throw new DefinitionError(at('ai_task_sidebar_app'), 'is required when has_ai_task is true');
    const ref = typeof sidebar === 'string' ? { slug: sidebar } : sidebar;
    const matches = apps.filter((a) => a.slug === ref.slug && (!ref.agent || a.agent === ref.agent));
    if (matches.length === 0) throw new DefinitionError(at('ai_task_sidebar_app'), `no app with slug "${ref.slug}"${ref.agent ? ` on agent "${ref.agent}"` : ''}`);
    if (matches.length > 1) throw new DefinitionError(at('ai_task_sidebar_app'), `app slug "${ref.slug}" is ambiguous: name its agent`);
  } else if (sidebar !== undefined) {
    throw new DefinitionError(at('ai_task_sidebar_app'), 'is only allowed when has_ai_task is true');
  }

  let logs: LogLine[] | undefined;
  if (raw.logs !== undefined) {
    if (!Array.isArray(raw.logs)) throw new DefinitionError(at('logs'), 'must be an array');
    logs = raw.logs.map((l, i) => parseLogLine(l, at(`logs[${i}]`)));
  }
  if (raw.plan !== undefined && raw.plan !== null && !isObj(raw.plan)) {
    throw new DefinitionError(at('plan'), 'must be a JSON object (terraform show -json)');
  }
  return { resources, has_ai_task: hasAiTask, ai_task_sidebar_app: sidebar, plan: raw.plan ?? undefined, logs };
}

export function parseLogLine(l: unknown, field: string): LogLine {
  if (typeof l === 'string') return { output: l };
  if (!isObj(l)) throw new DefinitionError(field, 'must be a string or {level, stage, output}');
  const level = str(l.level, `${field}.level`, { optional: true });
  if (level !== undefined && !LEVELS.includes(level)) throw new DefinitionError(`${field}.level`, `must be one of ${LEVELS.join(', ')}`);
  return {
    level: level as LogLine['level'],
    stage: str(l.stage, `${field}.stage`, { optional: true, max: 128 }),
    output: str(l.output, `${field}.output`, { max: 1048576 })!,
  };
}

/** Validates a whole definition as uploaded with a template version. */
export function parseDefinition(raw: unknown): Definition {
  if (raw === undefined || raw === null) raw = {};
  if (!isObj(raw)) throw new DefinitionError('definition', 'must be an object');
  const outcome = parseOutcome(raw, 'definition');
  const provisioner = raw.provisioner ?? 'builtin';
  if (provisioner !== 'builtin' && provisioner !== 'external') {
    throw new DefinitionError('definition.provisioner', 'must be "builtin" or "external"');
  }
  const delay = raw.delay_ms;
  if (delay !== undefined && (!Number.isInteger(delay) || (delay as number) < 0 || (delay as number) > 600_000)) {
    throw new DefinitionError('definition.delay_ms', 'must be an integer between 0 and 600000');
  }
  const error = str(raw.error, 'definition.error', { optional: true, max: 4096 });
  let failOn: Transition[] | undefined;
  if (raw.fail_on !== undefined) {
    if (!Array.isArray(raw.fail_on) || raw.fail_on.some((t) => !TRANSITIONS.includes(t as Transition))) {
      throw new DefinitionError('definition.fail_on', 'must be a list of start, stop, delete');
    }
    failOn = raw.fail_on as Transition[];
  }
  return { ...outcome, provisioner, delay_ms: delay as number | undefined, error, fail_on: failOn };
}

/** What the built-in provisioner does for one transition of a definition. */
export function builtinResult(def: Definition, transition: Transition): { error?: string; outcome: BuildOutcome } {
  const fails = !!def.error && (!def.fail_on || def.fail_on.includes(transition));
  const logs: LogLine[] = [
    { stage: 'Planning infrastructure', output: `builtin provisioner: ${transition}` },
    ...(def.logs ?? []),
  ];
  if (fails) return { error: def.error, outcome: { resources: [], logs } };
  // Stopped and deleted workspaces keep no agents; only a start build carries the AI task.
  if (transition !== 'start') {
    return {
      outcome: { resources: def.resources.map((r) => ({ ...r, agents: [] })), logs, plan: def.plan },
    };
  }
  return {
    outcome: {
      resources: def.resources,
      has_ai_task: def.has_ai_task,
      ai_task_sidebar_app: def.ai_task_sidebar_app,
      plan: def.plan,
      logs,
    },
  };
}

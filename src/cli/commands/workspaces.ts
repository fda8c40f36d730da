import { Command } from 'commander';
import { ApiClient, CliError } from '../support/client.js';
import { outputOption, printRows } from '../support/output.js';
import { findTemplate } from './templates.js';
import { confirm } from '../support/prompt.js';
import { workspaceScheduleRows, type Workspace } from '../../contract/index.js';


const COLUMNS: [string, (w: Workspace) => unknown][] = [
  ['workspace', (w) => `${w.owner_name}/${w.name}`],
  ['template', (w) => w.template_name],
  ['status', (w) => w.latest_build?.status ?? ''],
  ['last built', (w) => (w.latest_build ? `#${w.latest_build.build_number} ${w.latest_build.transition}` : '')],
  ['outdated', (w) => w.outdated],
  ['app status', (w) => (w.latest_app_status ? `${w.latest_app_status.state}: ${w.latest_app_status.message}` : '')],
];

/** "name" (own) or "owner/name". */
export async function findWorkspace(api: ApiClient, ref: string): Promise<Workspace> {
  const [owner, name] = ref.includes('/') ? ref.split('/', 2) : ['me', ref];
  if (!name) throw new CliError(`invalid workspace "${ref}": use <name> or <owner>/<name>`);
  return api.call('GET /users/{user}/workspace/{name}', { params: { user: owner, name } });
}

function parseParameters(values: string[]): { name: string; value: string }[] {
  return values.map((p) => {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`invalid --parameter "${p}": use name=value`);
    return { name: p.slice(0, i), value: p.slice(i + 1) };
  });
}

const collect = (v: string, acc: string[]) => [...acc, v];

const TERMINAL = (status: string) => !['pending', 'starting', 'stopping', 'deleting', 'canceling'].includes(status);

/**
 * Follows a build to its end as the reference's CLI does: each stage as it starts, the provisioner's
 * log lines under it, then the outcome, on stderr (stdout keeps the result, for -o json).
 */
async function followBuild(api: ApiClient, workspaceId: string, buildId: string): Promise<Workspace> {
  const started = Date.now();
  let lastLog = 0;
  let stage = '';
  let queued = false;
  const flush = async () => {
    const logs = await api.call('GET /workspacebuilds/{workspacebuild}/logs', { params: { workspacebuild: buildId } });
    for (const l of logs) {
      if (l.id <= lastLog) continue;
      lastLog = l.id;
      if (l.stage && l.stage !== stage) {
        stage = l.stage;
        process.stderr.write(`==> ${stage}\n`);
      }
      if (l.output) process.stderr.write(`    ${l.output}\n`);
    }
  };
  for (;;) {
    const b = await api.call('GET /workspacebuilds/{workspacebuild}', { params: { workspacebuild: buildId } });
    if (!queued && b.job.status === 'pending') {
      queued = true;
      process.stderr.write('==> Queued\n');
    }
    await flush();
    if (TERMINAL(b.status)) {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stderr.write(
        b.status === 'failed' ? `==> Build #${b.build_number} failed after ${secs}s\n` : `==> Build #${b.build_number} (${b.transition}) finished: ${b.status}, in ${secs}s\n`,
      );
      return api.call('GET /workspaces/{workspace}', { params: { workspace: workspaceId }, query: { include_deleted: true } });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function report(w: Workspace, output: string): void {
  printRows([w], COLUMNS, output);
  if (w.latest_build?.status === 'failed') throw new CliError(`build #${w.latest_build.build_number} failed: ${w.latest_build.job.error}`);
}

function buildCommand(name: string, transition: 'start' | 'stop' | 'delete', description: string): Command {
  const cmd = new Command(name)
    .description(description)
    .argument('<workspace>', 'workspace name or owner/name')
    .option('--parameter <name=value>', 'rich parameter value (repeatable)', collect, [])
    .option('--no-wait', 'return once the build is queued')
    .addOption(outputOption());
  if (transition === 'delete') cmd.option('-y, --yes', 'do not ask for confirmation');
  return cmd.action(async (ref: string, o: { parameter: string[]; wait: boolean; output: string; yes?: boolean }) => {
      const api = ApiClient.fromSession();
      const w = await findWorkspace(api, ref);
      if (transition === 'delete') await confirm(`Delete workspace ${w.owner_name}/${w.name}?`, o.yes);
      if (transition === 'start' && w.dormant_at) {
        // As the reference's CLI: un-dormant first, then start.
        process.stderr.write('Activating dormant workspace...\n');
        await api.call('PUT /workspaces/{workspace}/dormant', { params: { workspace: w.id }, body: { dormant: false } });
      }
      const b = await api.call('POST /workspaces/{workspace}/builds', { params: { workspace: w.id }, body: { transition, rich_parameter_values: parseParameters(o.parameter) } });
      const latest = () => api.call('GET /workspaces/{workspace}', { params: { workspace: w.id }, query: { include_deleted: true } });
      report(o.wait ? await followBuild(api, w.id, b.id) : await latest(), o.output);
    });
}

export function createWorkspaceCommand(): Command {
  return new Command('create')
    .description('Create a workspace from a template.')
    .argument('<workspace>', 'workspace name (or owner/name to create it for someone else)')
    .requiredOption('-t, --template <template>', 'template name')
    .option('--org <organization>', 'organization name or id', 'coder')
    .option('--parameter <name=value>', 'rich parameter value (repeatable)', collect, [])
    .option('--preset <id>', 'template version preset id')
    .option('--no-wait', 'return once the build is queued')
    .addOption(outputOption())
    .action(async (ref: string, o: { template: string; org: string; parameter: string[]; preset?: string; wait: boolean; output: string }) => {
      const api = ApiClient.fromSession();
      const [owner, name] = ref.includes('/') ? ref.split('/', 2) : ['me', ref];
      const t = await findTemplate(api, o.org, o.template);
      const w = await api.call('POST /users/{user}/workspaces', {
        params: { user: owner },
        body: {
          name,
          template_id: t.id,
          rich_parameter_values: parseParameters(o.parameter),
          ...(o.preset ? { template_version_preset_id: o.preset } : {}),
        },
      });
      report(o.wait && w.latest_build ? await followBuild(api, w.id, w.latest_build.id) : w, o.output);
    });
}

export const startCommand = () => buildCommand('start', 'start', 'Start a workspace.');
export const stopCommand = () => buildCommand('stop', 'stop', 'Stop a workspace.');
export const deleteCommand = () => buildCommand('delete', 'delete', 'Delete a workspace.');

export function updateCommand(): Command {
  return new Command('update')
    .description("Rebuild a workspace on its template's active version.")
    .argument('<workspace>', 'workspace name or owner/name')
    .option('--parameter <name=value>', 'rich parameter value (repeatable)', collect, [])
    .option('--no-wait', 'return once the build is queued')
    .addOption(outputOption())
    .action(async (ref: string, o: { parameter: string[]; wait: boolean; output: string }) => {
      const api = ApiClient.fromSession();
      const w = await findWorkspace(api, ref);
      const b = await api.call('POST /workspaces/{workspace}/builds', {
        params: { workspace: w.id },
        body: { transition: 'start', template_version_id: w.template_active_version_id, rich_parameter_values: parseParameters(o.parameter) },
      });
      report(o.wait ? await followBuild(api, w.id, b.id) : await api.call('GET /workspaces/{workspace}', { params: { workspace: w.id } }), o.output);
    });
}

export function listWorkspacesCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description('List workspaces.')
    .option('-a, --all', "everyone's workspaces (admins)", false)
    .option('-q, --search <query>', 'filter, e.g. "owner:me template:docker"')
    .addOption(outputOption())
    .action(async (o: { all: boolean; search?: string; output: string }) => {
      const q = o.search ?? (o.all ? '' : 'owner:me');
      const r = await ApiClient.fromSession().call('GET /workspaces', { query: { q } });
      printRows(r.workspaces, COLUMNS, o.output);
    });
}

/** `herald show <workspace>`: the workspace, its resources, agents, apps and each app's latest status. */
export function showCommand(): Command {
  return new Command('show')
    .description('Show a workspace: its schedule (autostart, autostop, deadlines, dormancy), resources, agents, apps and app statuses.')
    .argument('<workspace>', 'workspace name or owner/name')
    .addOption(outputOption())
    .action(async (ref: string, o: { output: string }) => {
      const api = ApiClient.fromSession();
      const w = await findWorkspace(api, ref);
      if (o.output === 'json') return printRows([w], [], 'json');
      printRows([w], COLUMNS, 'table');
      const rows: { resource: string; agent: string; agentStatus: string; app: string; status: string }[] = [];
      for (const r of w.latest_build?.resources ?? []) {
        if (!r.agents.length) rows.push({ resource: `${r.type}.${r.name}`, agent: '', agentStatus: '', app: '', status: '' });
        for (const a of r.agents) {
          if (!a.apps.length) rows.push({ resource: `${r.type}.${r.name}`, agent: a.name, agentStatus: a.status, app: '', status: '' });
          for (const app of a.apps) {
            const last = [...app.statuses].sort((x, y) => y.created_at.localeCompare(x.created_at))[0];
            rows.push({
              resource: `${r.type}.${r.name}`,
              agent: a.name,
              agentStatus: a.status,
              app: app.slug,
              status: last ? `${last.state}: ${last.message}${last.uri ? ` (${last.uri})` : ''}` : '',
            });
          }
        }
      }
      process.stdout.write('\n');
      printRows(workspaceScheduleRows(w), [['schedule', (r) => r[0]], ['value', (r) => r[1]]], 'table');
      process.stdout.write('\n');
      printRows(rows, [['resource', (x) => x.resource], ['agent', (x) => x.agent], ['agent status', (x) => x.agentStatus], ['app', (x) => x.app], ['app status', (x) => x.status]], 'table');
    });
}

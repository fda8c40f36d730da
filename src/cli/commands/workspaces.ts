import { Command } from 'commander';
import { ApiClient, CliError } from '../support/client.js';
import { outputOption, printRows } from '../support/output.js';
import { findTemplate } from './templates.js';
import type { Workspace } from '../../contract/index.js';


const COLUMNS: [string, (w: Workspace) => unknown][] = [
  ['workspace', (w) => `${w.owner_name}/${w.name}`],
  ['template', (w) => w.template_name],
  ['status', (w) => w.latest_build?.status ?? ''],
  ['last built', (w) => (w.latest_build ? `#${w.latest_build.build_number} ${w.latest_build.transition}` : '')],
  ['outdated', (w) => w.outdated],
  ['app status', (w) => (w.latest_app_status ? `${w.latest_app_status.state}: ${w.latest_app_status.message}` : '')],
];

/** "name" (own) or "owner/name". */
async function findWorkspace(api: ApiClient, ref: string): Promise<Workspace> {
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

async function wait(api: ApiClient, id: string): Promise<Workspace> {
  for (;;) {
    const w = await api.call('GET /workspaces/{workspace}', { params: { workspace: id }, query: { include_deleted: true } });
    if (!['pending', 'starting', 'stopping', 'deleting'].includes(w.latest_build?.status ?? '')) return w;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function report(w: Workspace, output: string): void {
  printRows([w], COLUMNS, output);
  if (w.latest_build?.status === 'failed') throw new CliError(`build #${w.latest_build.build_number} failed: ${w.latest_build.job.error}`);
}

function buildCommand(name: string, transition: 'start' | 'stop' | 'delete', description: string): Command {
  return new Command(name)
    .description(description)
    .argument('<workspace>', 'workspace name or owner/name')
    .option('--parameter <name=value>', 'rich parameter value (repeatable)', collect, [])
    .option('--no-wait', 'return once the build is queued')
    .addOption(outputOption())
    .action(async (ref: string, o: { parameter: string[]; wait: boolean; output: string }) => {
      const api = ApiClient.fromSession();
      const w = await findWorkspace(api, ref);
      await api.call('POST /workspaces/{workspace}/builds', { params: { workspace: w.id }, body: { transition, rich_parameter_values: parseParameters(o.parameter) } });
      const latest = () => api.call('GET /workspaces/{workspace}', { params: { workspace: w.id }, query: { include_deleted: true } });
      report(o.wait ? await wait(api, w.id) : await latest(), o.output);
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
      report(o.wait ? await wait(api, w.id) : w, o.output);
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
      await api.call('POST /workspaces/{workspace}/builds', {
        params: { workspace: w.id },
        body: { transition: 'start', template_version_id: w.template_active_version_id, rich_parameter_values: parseParameters(o.parameter) },
      });
      report(o.wait ? await wait(api, w.id) : await api.call('GET /workspaces/{workspace}', { params: { workspace: w.id } }), o.output);
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

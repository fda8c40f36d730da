import fs from 'node:fs';
import { Command, Option } from 'commander';
import { confirm } from '../support/prompt.js';
import { ApiClient, CliError } from '../support/client.js';
import { outputOption, printRows } from '../support/output.js';
import { templateScheduleRows, type CreateTemplateVersion, type Template } from '../../contract/index.js';

/** A version file: {definition, parameters, presets, message} as POST /templateversions takes it (the server validates it). */
function readVersionFile(file: string): CreateTemplateVersion {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const v = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object');
    return v;
  } catch (err) {
    throw new CliError(`${file} is not a valid version file: ${(err as Error).message}`);
  }
}

/** Commander parser for `--flag=true|false` (a bare `--flag` is true). */
export const parseBool = (flag: string) => (v: string): boolean => {
  if (/^(true|yes|1)$/i.test(v)) return true;
  if (/^(false|no|0)$/i.test(v)) return false;
  throw new CliError(`${flag} takes true or false, not "${v}"`);
};

export async function findTemplate(api: ApiClient, org: string, name: string): Promise<Template> {
  return api.call('GET /organizations/{organization}/templates/{name}', { params: { organization: org, name } });
}

export function templatesCommand(): Command {
  const cmd = new Command('templates').alias('template').description('Manage templates and their versions.');
  const org = (c: Command) => c.option('--org <organization>', 'organization name or id', 'coder');

  org(cmd.command('list').alias('ls').description('List templates.').addOption(outputOption())).action(
    async (o: { org: string; output: string }) => {
      const rows = await ApiClient.fromSession().call('GET /organizations/{organization}/templates', { params: { organization: o.org } });
      printRows(rows, [
        ['name', (t) => t.name],
        ['display name', (t) => t.display_name],
        ['active version', (t) => t.active_version_id],
        ['deprecated', (t) => (t.deprecated ? t.deprecation_message : '')],
        ['created by', (t) => t.created_by_name],
      ], o.output);
    },
  );

  org(
    cmd
      .command('create')
      .description('Create a template from a version file (JSON: definition, parameters, presets).')
      .argument('<name>', 'template name')
      .requiredOption('-f, --file <version.json>', 'the first version')
      .option('--display-name <name>', 'display name')
      .option('--description <text>', 'description')
      .option('--version-name <name>', 'name of the first version')
      .option('-m, --message <message>', 'version message')
      .addOption(outputOption()),
  ).action(async (name: string, o: { org: string; file: string; displayName?: string; description?: string; versionName?: string; message?: string; output: string }) => {
    const api = ApiClient.fromSession();
    const body = readVersionFile(o.file);
    if (o.versionName) body.name = o.versionName;
    if (o.message) body.message = o.message;
    const v = await api.call('POST /organizations/{organization}/templateversions', { params: { organization: o.org }, body });
    const t = await api.call('POST /organizations/{organization}/templates', {
      params: { organization: o.org },
      body: { name, display_name: o.displayName, description: o.description, template_version_id: v.id },
    });
    printRows([t], [['id', (x) => x.id], ['name', (x) => x.name], ['active version', (x) => x.active_version_id]], o.output);
  });

  org(
    cmd
      .command('push')
      .description('Upload a new version of a template from a version file and make it the active version.')
      .argument('<template>', 'template name')
      .requiredOption('-f, --file <version.json>', 'the version')
      .option('--name <name>', 'version name')
      .option('-m, --message <message>', 'version message')
      .addOption(
        new Option('--activate [bool]', 'make it the active version (--activate=false to only upload it)')
          .default(true)
          .argParser(parseBool('--activate')),
      )
      .addOption(outputOption()),
  ).action(async (template: string, o: { org: string; file: string; name?: string; message?: string; activate: boolean; output: string }) => {
    const api = ApiClient.fromSession();
    const t = await findTemplate(api, o.org, template);
    const body = { ...readVersionFile(o.file), template_id: t.id, ...(o.name ? { name: o.name } : {}), ...(o.message ? { message: o.message } : {}) };
    const v = await api.call('POST /organizations/{organization}/templateversions', { params: { organization: o.org }, body });
    if (o.activate) await api.call('PATCH /templates/{id}/versions', { params: { id: t.id }, body: { id: v.id } });
    printRows([v], [['id', (x) => x.id], ['name', (x) => x.name], ['active', () => o.activate]], o.output);
  });

  const versions = cmd.command('versions').description("Manage a template's versions.");
  org(versions.command('list').alias('ls').description("List a template's versions.").argument('<template>', 'template name').addOption(outputOption())).action(
    async (template: string, o: { org: string; output: string }) => {
      const api = ApiClient.fromSession();
      const t = await findTemplate(api, o.org, template);
      const rows = await api.call('GET /templates/{id}/versions', { params: { id: t.id } });
      printRows(rows, [
        ['name', (v) => v.name],
        ['created at', (v) => v.created_at],
        ['created by', (v) => v.created_by.username],
        ['active', (v) => (v.id === t.active_version_id ? 'Active' : '')],
        ['message', (v) => v.message],
      ], o.output);
    },
  );
  org(
    versions
      .command('promote')
      .description('Make a version of a template its active version.')
      .requiredOption('-t, --template <template>', 'template name')
      .requiredOption('--template-version <version>', 'version name or id'),
  ).action(async (o: { org: string; template: string; templateVersion: string }) => {
    const api = ApiClient.fromSession();
    const t = await findTemplate(api, o.org, o.template);
    const all = await api.call('GET /templates/{id}/versions', { params: { id: t.id } });
    const v = all.find((x) => x.name === o.templateVersion || x.id === o.templateVersion);
    if (!v) throw new CliError(`template ${t.name} has no version "${o.templateVersion}"`);
    await api.call('PATCH /templates/{id}/versions', { params: { id: t.id }, body: { id: v.id } });
    process.stderr.write(`Version ${v.name} is now the active version of template ${t.name}.\n`);
  });

  org(
    cmd
      .command('edit')
      .description("Edit a template's settings.")
      .argument('<template>', 'template name')
      .option('--name <name>', 'new name')
      .option('--display-name <name>', 'display name')
      .option('--description <text>', 'description')
      .option('--icon <url>', 'icon URL')
      .option('--deprecated <message>', 'deprecate it with this message ("" un-deprecates it)')
      .addOption(outputOption()),
  ).action(async (template: string, o: { org: string; name?: string; displayName?: string; description?: string; icon?: string; deprecated?: string; output: string }) => {
    const api = ApiClient.fromSession();
    const t = await findTemplate(api, o.org, template);
    const body = {
      ...(o.name !== undefined ? { name: o.name } : {}),
      ...(o.displayName !== undefined ? { display_name: o.displayName } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
      ...(o.icon !== undefined ? { icon: o.icon } : {}),
      ...(o.deprecated !== undefined ? { deprecation_message: o.deprecated } : {}),
    };
    if (!Object.keys(body).length) throw new CliError('nothing to change: pass at least one of --name, --display-name, --description, --icon, --deprecated');
    const updated = await api.call('PATCH /templates/{id}', { params: { id: t.id }, body });
    printRows([updated], [['name', (x) => x.name], ['display name', (x) => x.display_name], ['description', (x) => x.description], ['deprecated', (x) => (x.deprecated ? x.deprecation_message : '')]], o.output);
  });

  org(
    cmd
      .command('presets')
      .description("List the presets of a template's active version (or --template-version): desired prebuilt workspaces and prebuild status.")
      .argument('<template>', 'template name')
      .option('--template-version <name>', 'a version name instead of the active version')
      .addOption(outputOption()),
  ).action(async (template: string, o: { org: string; templateVersion?: string; output: string }) => {
    const api = ApiClient.fromSession();
    const t = await findTemplate(api, o.org, template);
    let versionId = t.active_version_id;
    if (o.templateVersion) {
      const versions = await api.call('GET /templates/{id}/versions', { params: { id: t.id } });
      const v = versions.find((x) => x.name === o.templateVersion);
      if (!v) throw new CliError(`template ${t.name} has no version named "${o.templateVersion}"`);
      versionId = v.id;
    }
    const rows = await api.call('GET /templateversions/{templateversion}/presets', { params: { templateversion: versionId } });
    printRows(rows, [
      ['id', (p) => p.ID],
      ['name', (p) => p.Name],
      ['desired instances', (p) => (p.DesiredPrebuildInstances === null ? '' : String(p.DesiredPrebuildInstances))],
      ['prebuild status', (p) => p.prebuild_status],
      ['default', (p) => (p.Default ? 'yes' : '')],
      ['parameters', (p) => p.Parameters.map((x) => `${x.Name}=${x.Value}`).join(', ')],
    ], o.output);
  });

  org(
    cmd
      .command('show')
      .description('Show a template: its active version, deprecation and schedule options (autostop, autostart, dormancy, auto-delete, automatic updates).')
      .argument('<template>', 'template name')
      .addOption(outputOption()),
  ).action(async (template: string, o: { org: string; output: string }) => {
    const t = await findTemplate(ApiClient.fromSession(), o.org, template);
    if (o.output === 'json') return printRows([t], [], 'json');
    printRows([t], [['name', (x) => x.name], ['display name', (x) => x.display_name], ['active version', (x) => x.active_version_id], ['deprecated', (x) => (x.deprecated ? x.deprecation_message : '')]], 'table');
    process.stdout.write('\n');
    printRows(templateScheduleRows(t), [['schedule', (r) => r[0]], ['value', (r) => r[1]]], 'table');
  });

  org(
    cmd
      .command('deprecate')
      .description('Deprecate a template: new workspaces cannot use it (an empty message un-deprecates it).')
      .argument('<template>', 'template name')
      .argument('[message]', 'deprecation message (or --message)')
      .option('-m, --message <message>', 'deprecation message'),
  ).action(async (template: string, positional: string | undefined, o: { org: string; message?: string }) => {
    const message = o.message ?? positional;
    if (message === undefined) throw new CliError('a deprecation message is required: --message "<why>" (an empty one un-deprecates)');
    const api = ApiClient.fromSession();
    const t = await findTemplate(api, o.org, template);
    await api.call('PATCH /templates/{id}', { params: { id: t.id }, body: { deprecation_message: message } });
    process.stdout.write(message ? `Template ${t.name} deprecated.\n` : `Template ${t.name} is no longer deprecated.\n`);
  });

  org(
    cmd
      .command('delete')
      .description('Delete a template (it must have no workspaces).')
      .argument('<template>', 'template name')
      .option('-y, --yes', 'do not ask for confirmation'),
  ).action(async (template: string, o: { org: string; yes?: boolean }) => {
    const api = ApiClient.fromSession();
    const t = await findTemplate(api, o.org, template);
    await confirm(`Delete template ${t.name}?`, o.yes);
    await api.call('DELETE /templates/{id}', { params: { id: t.id } });
    process.stdout.write(`Template ${t.name} deleted.\n`);
  });
  return cmd;
}

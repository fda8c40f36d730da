import { Command } from 'commander';
import { ApiClient, CliError } from '../support/client.js';
import { readSession } from '../support/session.js';
import { outputOption, printRows } from '../support/output.js';
import { findWorkspace } from './workspaces.js';

/**
 * `herald agent`: what a workspace agent does, from a shell. `token` (the workspace's owner) rotates
 * and prints an agent's token; `report-status` reports an app's status with it, as an AI agent in
 * the workspace would (see docs/tasks.md).
 */
export function agentCommand(): Command {
  const cmd = new Command('agent').description("Act as a workspace agent: get its token, report an app's status.");
  cmd
    .command('token')
    .description("Rotate a workspace agent's token and print it (the workspace's owner only; the old token stops working).")
    .argument('<workspace>', 'workspace name or owner/name')
    .option('--agent <name>', 'the agent (needed when the workspace has more than one)')
    .addOption(outputOption())
    .action(async (ref: string, o: { agent?: string; output: string }) => {
      const api = ApiClient.fromSession();
      const w = await findWorkspace(api, ref);
      const r = await api.call('POST /workspaces/{workspace}/agent-token', { params: { workspace: w.id }, query: { agent: o.agent } });
      if (o.output === 'json') printRows([r], [], 'json');
      else process.stdout.write(`${r.agent_token}\n`);
    });
  cmd
    .command('report-status')
    .description("Report the status of one of the agent's apps (token from HERALD_AGENT_TOKEN).")
    .argument('<state>', 'working, idle, complete or failure')
    .argument('<message>', 'what is happening (at most 160 bytes)')
    .requiredOption('--app <slug>', "the app's slug, as the template names it")
    .option('--uri <uri>', 'a link for the status, e.g. a pull request')
    .addHelpText(
      'after',
      '\nEnvironment:\n  HERALD_AGENT_TOKEN  the agent token (herald agent token <workspace>)\n  HERALD_AGENT_URL    the deployment URL (default: HERALD_URL, then the logged-in deployment)\n',
    )
    .action(async (state: string, message: string, o: { app: string; uri?: string }) => {
      const token = process.env.HERALD_AGENT_TOKEN;
      if (!token) throw new CliError('HERALD_AGENT_TOKEN is not set: get one with "herald agent token <workspace>"');
      const url = process.env.HERALD_AGENT_URL || process.env.HERALD_URL || readSession()?.url;
      if (!url) throw new CliError('no deployment URL: set HERALD_AGENT_URL');
      await new ApiClient(url, token).call('PATCH /workspaceagents/me/app-status', {
        body: { app_slug: o.app, state, message, ...(o.uri ? { uri: o.uri } : {}) },
      });
      process.stderr.write(`Status "${state}" reported.\n`);
    });
  return cmd;
}

import { Command } from 'commander';
import { serverCommand } from './commands/server.js';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/login.js';
import { tokensCommand } from './commands/tokens.js';
import { agentCommand } from './commands/agent.js';
import { completionCommands } from './commands/completion.js';
import { usersCommand } from './commands/users.js';
import { templatesCommand } from './commands/templates.js';
import { createWorkspaceCommand, deleteCommand, listWorkspacesCommand, showCommand, startCommand, stopCommand, updateCommand } from './commands/workspaces.js';
import { notificationsCommand } from './commands/notifications.js';
import { resetPasswordCommand } from './commands/reset-password.js';
import { scaletestCommand } from './commands/scaletest.js';


/** Every `herald` command; main.ts runs it, scripts/gen-docs.mjs documents it. */
export function buildProgram(): Command {
  const program = new Command('herald')
    .description('Herald: a self-hosted workspace platform with a fast notification system.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(serverCommand());
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());
  program.addCommand(whoamiCommand());
  program.addCommand(tokensCommand());
  program.addCommand(usersCommand());
  program.addCommand(notificationsCommand());
  program.addCommand(resetPasswordCommand());
  program.addCommand(templatesCommand());
  program.addCommand(createWorkspaceCommand());
  for (const c of [startCommand(), stopCommand(), deleteCommand(), updateCommand(), listWorkspacesCommand(), showCommand()]) program.addCommand(c);
  program.addCommand(agentCommand());
  program.addCommand(scaletestCommand());
  const [completion, complete] = completionCommands(program);
  program.addCommand(completion);
  program.addCommand(complete, { hidden: true });
  return program;
}

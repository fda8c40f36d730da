import { Command, CommanderError } from 'commander';
import { CliError } from './client.js';
import { ConfigError } from '../server/config.js';
import { serverCommand } from './commands/server.js';
import { loginCommand, logoutCommand } from './commands/login.js';
import { usersCommand } from './commands/users.js';
import { templatesCommand } from './commands/templates.js';
import { createWorkspaceCommand, deleteCommand, listWorkspacesCommand, startCommand, stopCommand, updateCommand } from './commands/workspaces.js';
import { notificationsCommand } from './commands/notifications.js';
import { resetPasswordCommand } from './commands/reset-password.js';

export function buildProgram(): Command {
  const program = new Command('herald')
    .description('Herald: a self-hosted workspace platform with a fast notification system.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(serverCommand());
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());
  program.addCommand(usersCommand());
  program.addCommand(notificationsCommand());
  program.addCommand(resetPasswordCommand());
  program.addCommand(templatesCommand());
  program.addCommand(createWorkspaceCommand());
  for (const c of [startCommand(), stopCommand(), deleteCommand(), updateCommand(), listWorkspacesCommand()]) program.addCommand(c);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof CliError || err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

await main();

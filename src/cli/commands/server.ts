import { Command, Option } from 'commander';
import { OPTIONS } from '../../server/options.js';
import { resolveConfig } from '../../server/config.js';

export function serverCommand(): Command {
  const cmd = new Command('server')
    .description('Run the Herald server: API, dashboard, notification dispatch and the platform services.')
    .addOption(new Option('--config <file>', 'YAML configuration file (keys as in docs/configuration.md)').env('HERALD_CONFIG'));
  for (const spec of OPTIONS) {
    const arg = spec.type === 'bool' ? '[bool]' : '<value>';
    const def = spec.secret ? '' : ` (default: ${JSON.stringify(spec.default)})`;
    cmd.addOption(new Option(`--${spec.flag} ${arg}`, `${spec.help} [env ${spec.env}]${def}`));
  }
  cmd.action(async (opts: Record<string, unknown>) => {
    const flags: Record<string, unknown> = {};
    for (const spec of OPTIONS) {
      const key = spec.flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (opts[key] !== undefined) flags[spec.path] = opts[key];
    }
    const config = resolveConfig({ flags, env: process.env, file: opts.config as string | undefined });
    // Loaded here so that other commands start fast (the server pulls in both database engines).
    const { createLogger } = await import('../../lib/logger.js');
    const { openDatabase } = await import('../../server/open-database.js');
    const log = createLogger({ level: config.logLevel });
    // Opened while the rest of the server loads (the two overlap); a failure surfaces in startServer.
    const opening = openDatabase(config, log);
    opening.catch(() => undefined);
    const { startServer } = await import('../../server/server.js');
    const server = await startServer({ config, log, opening });
    process.stderr.write(`Herald is listening on ${server.url} (access URL ${config.accessUrl})\n`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      server
        .stop()
        .then(() => process.exit(0))
        .catch((err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return cmd;
}

import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

// Secrets never reach the log, whatever object they ride in on.
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'one_time_passcode',
  '*.one_time_passcode',
  'req.headers.authorization',
  'req.headers["coder-session-token"]',
  'req.headers.cookie',
];

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'herald' },
      redact: { paths: REDACT, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? process.stdout,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

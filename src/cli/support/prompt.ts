import readline from 'node:readline';
import { CliError } from './client.js';

/** Asks one question on the terminal; hidden input for secrets. */
export async function prompt(question: string, opts: { secret?: boolean } = {}): Promise<string> {
  if (!process.stdin.isTTY) throw new CliError(`${question.replace(/:\s*$/, '')} is required (no terminal to prompt on; pass it as a flag)`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (opts.secret) {
    // Echo nothing while the secret is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) process.stderr.write(question);
    };
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve));
  } finally {
    if (opts.secret) process.stderr.write('\n');
    rl.close();
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Asks "<question> (yes/no)" before a destructive action; `yes` (--yes/-y) skips it. Without a
 * terminal there is no one to ask: the action is refused unless --yes was given.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new CliError(`${question} Refusing without confirmation: pass --yes (-y) to confirm.`);
  const answer = (await prompt(`${question} (yes/no) `)).trim().toLowerCase();
  if (answer !== 'yes' && answer !== 'y') throw new CliError('Canceled.');
}

import { Command, type Option } from 'commander';
import { CliError } from '../support/client.js';

/**
 * What may come next on a command line: the words typed so far (without "herald") and the word being
 * completed. Walks the command tree as commander parses it, so completion never drifts from the CLI.
 */
export function completeWords(program: Command, words: string[], current: string): string[] {
  let cmd = program;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.startsWith('-')) {
      const opt = findOption(cmd, w);
      // A value option given as "--flag value" takes the next word too.
      if (opt?.required && !w.includes('=')) i++;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub) cmd = sub;
  }
  if (current.startsWith('-')) {
    const flags = [...cmd.options.flatMap((o) => [o.long, o.short]), '--help'].filter((f): f is string => !!f);
    return flags.filter((f) => f.startsWith(current));
  }
  // Choices of the option just before the current word (e.g. `-o <TAB>`).
  const prev = words[words.length - 1];
  const prevOpt = prev?.startsWith('-') ? findOption(cmd, prev) : undefined;
  if (prevOpt?.argChoices) return prevOpt.argChoices.filter((c) => c.startsWith(current));
  return cmd.commands
    .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
    .map((c) => c.name())
    .filter((n) => n.startsWith(current));
}

function findOption(cmd: Command, flag: string): Option | undefined {
  const name = flag.split('=')[0];
  return cmd.options.find((o) => o.long === name || o.short === name);
}

const SCRIPTS: Record<string, string> = {
  bash: `# herald completion for bash: source <(herald completion bash), or save it under
# /etc/bash_completion.d/herald.
_herald() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  local IFS=$'\\n'
  COMPREPLY=($(herald __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null))
}
complete -o default -F _herald herald
`,
  zsh: `#compdef herald
# herald completion for zsh: herald completion zsh > "\${fpath[1]}/_herald", then restart zsh.
_herald() {
  local -a candidates
  candidates=("\${(@f)$(herald __complete -- "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _herald herald
`,
  fish: `# herald completion for fish: herald completion fish > ~/.config/fish/completions/herald.fish
function __herald_complete
  set -l words (commandline -opc)
  herald __complete -- $words[2..-1] (commandline -ct) 2>/dev/null
end
complete -c herald -f -a '(__herald_complete)'
`,
};

export function completionCommands(program: Command): Command[] {
  const completion = new Command('completion')
    .description('Print a shell completion script (bash, zsh or fish).')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', '\nExamples:\n  $ source <(herald completion bash)\n  $ herald completion fish > ~/.config/fish/completions/herald.fish\n')
    .action((shell: string) => {
      const script = SCRIPTS[shell];
      if (!script) throw new CliError(`no completion for "${shell}": use bash, zsh or fish`);
      process.stdout.write(script);
    });
  // What the scripts call: the words so far, the last one being completed.
  const complete = new Command('__complete')
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action((words: string[]) => {
      const current = words.length ? words[words.length - 1] : '';
      const out = completeWords(program, words.slice(0, -1), current);
      if (out.length) process.stdout.write(out.join('\n') + '\n');
    });
  return [completion, complete];
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import MarkdownIt from 'markdown-it';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DOCS = path.join(ROOT, 'docs');

/** Every Markdown file of the documentation (docs/**, as the server serves them), relative to docs/. */
export function docFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.md')) out.push(path.relative(DOCS, p).split(path.sep).join('/'));
    }
  };
  walk(DOCS);
  return out.sort();
}

export interface Block {
  /** The fence's language ("sh", "json"). */
  lang: string;
  /** `file=NAME`: the block is that file's content; `runnable`: the block is run. */
  file?: string;
  runnable: boolean;
  content: string;
  line: number;
}

/**
 * The fenced blocks a doc marks for the examples test: ```` ```json file=version.json ```` (written to that file)
 * and ```` ```sh runnable ```` (run by bash), in the order they appear.
 */
export function markedBlocks(text: string): Block[] {
  const tokens = new MarkdownIt().parse(text, {});
  const out: Block[] = [];
  for (const t of tokens) {
    if (t.type !== 'fence') continue;
    const [lang, ...rest] = t.info.trim().split(/\s+/);
    const file = rest.find((w) => w.startsWith('file='))?.slice(5);
    const runnable = rest.includes('runnable');
    if (file || runnable) out.push({ lang, file, runnable, content: t.content, line: (t.map?.[0] ?? 0) + 1 });
  }
  return out;
}

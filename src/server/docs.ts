import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type MarkdownIt from 'markdown-it';
import { lazyModule } from '../lib/lazy-module.js';
import { escapeHtml } from '../notifications/render/email.js';

/** docs/ ships with the package, two levels above src/server and dist/server. */
export const DOCS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');

const PAGE = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Herald docs</title>
<style>
  :root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --code: #f6f8fa; --link: #0969da; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --code: #151b23; --link: #4493f8; } }
  *, *::before, *::after { box-sizing: border-box; }
  body { font: 16px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); max-width: 52rem; margin: 0 auto; padding: 1rem 1.25rem 4rem; }
  main { overflow-wrap: anywhere; }
  a { color: var(--link); }
  h1, h2, h3 { line-height: 1.25; margin: 1.75em 0 0.6em; }
  h1 { font-size: 2em; margin-top: 0.5em; }
  h2 { padding-bottom: 0.3em; border-bottom: 1px solid var(--line); }
  pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.875em; }
  code { background: var(--code); padding: 0.1em 0.35em; border-radius: 4px; }
  pre { overflow-x: auto; padding: 0.85rem 1rem; border-radius: 6px; background: var(--code); border: 1px solid var(--line); overflow-wrap: normal; }
  pre code { background: none; padding: 0; }
  img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
  table { border-collapse: collapse; display: block; max-width: 100%; overflow-x: auto; }
  th, td { border: 1px solid var(--line); padding: 0.3rem 0.6rem; vertical-align: top; }
  blockquote { margin: 0; padding: 0 1em; color: var(--muted); border-left: 0.25em solid var(--line); }
  nav { margin-bottom: 1.5rem; font-size: 0.9em; color: var(--muted); }
</style></head>
<body><nav><a href="/docs">Herald documentation</a> · <a href="/">Dashboard</a></nav>
<main>${body}</main></body></html>`;

const NOT_FOUND = PAGE('Not found', '<h1>Page not found</h1><p><a href="/docs">All documentation</a></p>');

// Our own documentation is trusted, but raw HTML stays off all the same.
const markdownIt = lazyModule<typeof MarkdownIt>('markdown-it');
let renderer: MarkdownIt | undefined;
const md = () => (renderer ??= new (markdownIt())({ html: false, linkify: false, typographer: false }));

/** Headings get GitHub-style ids so that links such as /docs/admin/prebuilds#preventing-resource-replacement work. */
function addHeadingIds(html: string): string {
  return html.replace(/<h([1-6])>(.*?)<\/h\1>/g, (_m, level: string, inner: string) => {
    const id = inner
      .replace(/<[^>]+>/g, '')
      .toLowerCase()
      .replace(/&[a-z]+;/g, '')
      .replace(/[^a-z0-9 -]/g, '')
      .trim()
      .replace(/ /g, '-');
    return `<h${level} id="${id}">${inner}</h${level}>`;
  });
}

/** Links between Markdown files become links between pages: admin/x.md → /docs/admin/x. */
function rewriteLinks(html: string, pagePath: string): string {
  return html.replace(/href="([^"]+)"/g, (m, href: string) => {
    if (/^[a-z]+:|^\/|^#/.test(href)) return m;
    const [file, hash] = href.split('#');
    if (!file.endsWith('.md')) return m;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(pagePath), file.replace(/\.md$/, '')));
    return `href="/docs/${target.replace(/^(\.\.\/)+/, '')}${hash ? `#${hash}` : ''}"`;
  });
}

function resolvePage(rel: string): { file: string; page: string } | undefined {
  const clean = path.posix.normalize(rel.replace(/\.md$/, '').replace(/^\/+|\/+$/g, '')) || 'index';
  if (clean.startsWith('..')) return undefined;
  for (const candidate of [`${clean}.md`, `${clean}/index.md`, clean === 'index' ? '../README.md' : '']) {
    if (!candidate) continue;
    const file = path.resolve(DOCS_DIR, candidate);
    if ((file.startsWith(DOCS_DIR + path.sep) || candidate === '../README.md') && fs.existsSync(file) && fs.statSync(file).isFile()) {
      return { file, page: candidate === '../README.md' ? 'index' : clean };
    }
  }
  return undefined;
}

/** Serves docs/*.md as HTML pages at /docs/…, which notification bodies link to. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  const handler = async (rel: string, reply: import('fastify').FastifyReply) => {
    const found = resolvePage(rel);
    if (!found) return reply.status(404).type('text/html; charset=utf-8').send(NOT_FOUND);
    const text = fs.readFileSync(found.file, 'utf8');
    const title = /^#\s+(.+)$/m.exec(text)?.[1] ?? 'Herald';
    const html = rewriteLinks(addHeadingIds(md().render(text)), found.page === 'index' && found.file.endsWith('README.md') ? 'index' : found.page);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(PAGE(title, html));
  };
  app.get('/docs', { schema: { hide: true } }, async (_req, reply) => handler('index', reply));
  // The screenshots the pages show (docs/images/*.png; nothing else under docs/ is served raw).
  app.get<{ Params: { name: string } }>('/docs/images/:name', { schema: { hide: true } }, async (req, reply) => {
    const name = req.params.name;
    const file = path.join(DOCS_DIR, 'images', name);
    if (!/^[a-z0-9-]+\.png$/.test(name) || !fs.existsSync(file)) return reply.status(404).type('text/html; charset=utf-8').send(NOT_FOUND);
    return reply.type('image/png').header('cache-control', 'public, max-age=3600').send(fs.readFileSync(file));
  });
  app.get<{ Params: { '*': string } }>('/docs/*', { schema: { hide: true } }, async (req, reply) => handler(req.params['*'] ?? '', reply));
}

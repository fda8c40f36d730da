import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `vite build` writes the dashboard: dist/web, two levels above src/server and dist/server. */
export const DASHBOARD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');

// Paths that belong to the server, never to the single-page app.
const SERVER_PATHS = /^(api|healthz|metrics)(\/|$)/;

const CSP = [
  "default-src 'self'",
  "img-src 'self' data: https:",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>Herald</h1>
<p>The dashboard was not built, so there is nothing to show here. Run <code>npm run build</code> and restart the server.</p>
<p>The API is available under <a href="/api/v2/buildinfo">/api/v2</a>.</p>
</body></html>
`;

function htmlHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin');
}

/**
 * Serves the dashboard at `/`: built files as they are, and index.html for every other path
 * (client-side routes such as /settings/notifications), except the API, /healthz and /metrics.
 */
export async function registerDashboard(app: FastifyInstance, root = DASHBOARD_DIR): Promise<void> {
  const built = existsSync(join(root, 'index.html'));
  if (built) await app.register(fastifyStatic, { root, serve: false, dotfiles: 'ignore' });

  app.get<{ Params: { '*'?: string } }>('/*', { schema: { hide: true } }, async (req, reply) => {
    const path = (req.params['*'] ?? '').replace(/^\/+/, '');
    if (SERVER_PATHS.test(path)) return reply.callNotFound();
    if (!built) return htmlHeaders(reply).type('text/html; charset=utf-8').send(NOT_BUILT);
    // A path whose last segment has an extension is a file; anything else is a page of the app.
    if (/\.[A-Za-z0-9]+$/.test(path.split('/').pop() ?? '')) {
      const hashed = path.startsWith('assets/');
      return reply.sendFile(path, { maxAge: hashed ? '365d' : 0, immutable: hashed });
    }
    return htmlHeaders(reply).sendFile('index.html', { cacheControl: false });
  });
}

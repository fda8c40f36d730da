import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { AppContext } from './context.js';
import { installErrorHandlers } from '../api/errors.js';
import { ErrorResponse, User } from '../contract/common.js';
import { authenticate, tokenFromRequest } from '../api/auth.js';
import { publicUserRoutes, userRoutes } from '../api/routes/users.js';
import { RateLimiter } from '../api/rate-limit.js';
import { registerDashboard } from './static.js';
import { registerDocs } from './docs.js';
import { documentFromContract } from './openapi-contract.js';

export const API_PREFIX = '/api/v2';

export interface RouteModule {
  /** Routes anyone may call. */
  public?: (app: FastifyInstance, ctx: AppContext) => Promise<void>;
  /** Routes behind session or API-token authentication. */
  authed?: (app: FastifyInstance, ctx: AppContext) => Promise<void>;
  /** Routes with their own authentication (agent tokens, provisioner keys). */
  custom?: (app: FastifyInstance, ctx: AppContext) => Promise<void>;
}

export interface BuildAppOptions {
  ctx: AppContext;
  modules?: RouteModule[];
  /** Resolves true once the server is ready to serve (migrations ran, database reachable). */
  healthy: () => Promise<boolean>;
}

/** Assembles the HTTP server: error contract, OpenAPI, health, metrics and every /api/v2 route. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { ctx } = opts;
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  installErrorHandlers(app);
  // The API speaks JSON only: anything else is 415, not a confusing validation error.
  app.removeContentTypeParser('text/plain');
  app.addSchema(ErrorResponse);
  app.addSchema(User);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Herald API',
        version: '2.0',
        description: 'Workspaces and notifications. Paths and fields follow the Coder API under /api/v2.',
      },
      components: {
        securitySchemes: {
          CoderSessionToken: { type: 'apiKey', in: 'header', name: 'Coder-Session-Token' },
          Bearer: { type: 'http', scheme: 'bearer' },
          ProvisionerKey: { type: 'apiKey', in: 'header', name: 'Coder-Provisioner-Key' },
          AgentToken: { type: 'apiKey', in: 'header', name: 'Coder-Session-Token', description: 'A workspace agent token' },
        },
      },
      security: [{ CoderSessionToken: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => String(json.$id ?? `def-${i}`) },
    transform: documentFromContract,
  });

  app.get('/healthz', { schema: { hide: true } }, async (_req, reply) => {
    const ok = await opts.healthy();
    return reply.status(ok ? 200 : 503).type('text/plain').send(ok ? 'OK' : 'unavailable');
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(ctx.registry.contentType);
    return ctx.registry.metrics();
  });

  const apiLimiter = new RateLimiter(ctx.config.apiRateLimit);
  await app.register(
    async (api) => {
      api.addHook('onRequest', async (req) => {
        apiLimiter.hit(tokenFromRequest(req)?.slice(0, 10) ?? req.ip);
      });
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      api.get('/buildinfo', { schema: { tags: ['General'] } }, async () => ({
        version: process.env.npm_package_version ?? '0.1.0',
        external_url: '',
        dashboard_url: ctx.config.accessUrl,
      }));
      await api.register(async (pub) => {
        await publicUserRoutes(pub, ctx);
        for (const m of opts.modules ?? []) if (m.public) await m.public(pub, ctx);
      });
      await api.register(async (custom) => {
        for (const m of opts.modules ?? []) if (m.custom) await m.custom(custom, ctx);
      });
      await api.register(async (authed) => {
        authed.addHook('onRequest', authenticate(ctx));
        await userRoutes(authed, ctx);
        for (const m of opts.modules ?? []) if (m.authed) await m.authed(authed, ctx);
      });
    },
    { prefix: API_PREFIX },
  );
  await registerDocs(app);
  await registerDashboard(app);
  return app;
}

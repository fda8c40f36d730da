import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { Registry } from 'prom-client';
import type { Logger } from '../lib/logger.js';
import { installErrorHandlers } from '../api/errors.js';
import { ErrorResponse, User } from '../contract/common.js';
import { authenticate, clientAddressOf } from '../api/auth.js';
import { emptyBodyParser, ignoreContentTypeOfEmptyBody, jsonBodyParser } from '../api/body.js';
import type { Authenticator } from '../auth/service.js';
import type { RateLimiter } from '../auth/rate-limit.js';
import { createAddressResolver, type ProxyTrust } from '../lib/client-address.js';
import { registerDashboard } from './static.js';
import { registerDocs } from './docs.js';
import { documentFromContract } from './openapi-contract.js';
import { lazySchemas, type LazySchemas } from './lazy-schemas.js';

export const API_PREFIX = '/api/v2';

export interface RouteModule {
  /** Routes anyone may call. */
  public?: (app: FastifyInstance) => Promise<void>;
  /** Routes behind session or API-token authentication. */
  authed?: (app: FastifyInstance) => Promise<void>;
  /** Routes with their own authentication (agent tokens, provisioner keys, the inbox watch). */
  custom?: (app: FastifyInstance) => Promise<void>;
}

/** Who calls (sessions and tokens), how often they may, and where from (trusted proxies). */
export interface Security {
  authenticator: Authenticator;
  limiter: RateLimiter;
  apiRateLimit: number;
  proxy: ProxyTrust;
}

export interface BuildAppOptions {
  log: Logger;
  registry: Registry;
  accessUrl: string;
  modules?: RouteModule[];
  /** Resolves true once the server is ready to serve (migrations ran, database reachable). */
  healthy: () => Promise<boolean>;
  security: Security;
}

const schemasOf = new WeakMap<FastifyInstance, LazySchemas>();

/** Compiles every route schema not compiled yet (they compile on first use); returns how many. */
export function compileAllSchemas(app: FastifyInstance): number {
  return schemasOf.get(app)?.compileAll() ?? 0;
}

/** Assembles the HTTP server: error contract, OpenAPI, health, metrics and every /api/v2 route. */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const schemas = lazySchemas();
  const app = Fastify({
    schemaController: { compilersFactory: schemas.compilersFactory },
    loggerInstance: opts.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true } },
  });
  schemasOf.set(app, schemas);
  installErrorHandlers(app);
  // The API speaks JSON only: anything else is 415, not a confusing validation error.
  app.removeContentTypeParser('text/plain');
  // JSON bodies must be valid UTF-8 (a 400, not silently replaced characters).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBodyParser(app.getDefaultJsonParser('error', 'error')));
  // An empty body is accepted under any content type (Node clients label body-less requests).
  app.addHook('onRequest', ignoreContentTypeOfEmptyBody);
  app.addContentTypeParser('*', { parseAs: 'buffer' }, emptyBodyParser);
  // The client address, once per request: the connection's peer, or behind a trusted proxy the
  // address its header names (never a header from anywhere else). Limits and logs use it.
  const { security } = opts;
  const resolveAddress = createAddressResolver(security.proxy);
  app.addHook('onRequest', async (req) => {
    req.clientAddress = resolveAddress(req.socket.remoteAddress, req.headers);
    req.log = req.log.child({ client_address: req.clientAddress });
  });
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
    reply.type(opts.registry.contentType);
    return opts.registry.metrics();
  });

  // Counted in the database, so every replica shares the limit. Anonymous requests count per
  // client address; authenticated ones per user, once the token is verified (authenticate()).
  const apiLimit = security.limiter.rule('api', security.apiRateLimit);
  const limitByAddress = async (req: FastifyRequest) => apiLimit.hit(`address:${clientAddressOf(req)}`);
  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true }, onRequest: limitByAddress }, async () => app.swagger());
      api.get('/buildinfo', { schema: { tags: ['General'] }, onRequest: limitByAddress }, async () => ({
        version: process.env.npm_package_version ?? '0.1.0',
        external_url: '',
        dashboard_url: opts.accessUrl,
      }));
      await api.register(async (pub) => {
        pub.addHook('onRequest', limitByAddress);
        for (const m of opts.modules ?? []) if (m.public) await m.public(pub);
      });
      await api.register(async (custom) => {
        custom.addHook('onRequest', limitByAddress);
        for (const m of opts.modules ?? []) if (m.custom) await m.custom(custom);
      });
      await api.register(async (authed) => {
        authed.addHook('onRequest', authenticate(security.authenticator, apiLimit));
        for (const m of opts.modules ?? []) if (m.authed) await m.authed(authed);
      });
    },
    { prefix: API_PREFIX },
  );
  await registerDocs(app);
  await registerDashboard(app);
  return app;
}

import type { FastifySchema, RouteOptions } from 'fastify';
import { API_PREFIX, endpoints, type EndpointSchema } from '../contract/endpoints.js';

const table = endpoints as Record<string, EndpointSchema>;

/**
 * @fastify/swagger transform: the document takes each route's success answers from the contract's
 * endpoint table (routes declare only their error answers, so serialisation stays as it is), and
 * WebSocket routes, which @fastify/websocket hides, are documented as the GET they upgrade.
 */
export function documentFromContract({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): {
  schema: FastifySchema;
  url: string;
} {
  if (!schema) return { schema, url };
  const path = url.startsWith(API_PREFIX) ? url.slice(API_PREFIX.length) : url;
  const method = String(Array.isArray(route.method) ? route.method[0] : route.method).toUpperCase();
  const entry = table[`${method} ${path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`];
  const out: FastifySchema & { hide?: boolean } = { ...schema };
  if ((route as { websocket?: boolean }).websocket) out.hide = false;
  if (entry) out.response = { ...entry.response, ...((schema.response as object | undefined) ?? {}) };
  return { schema: out, url };
}

import type { Static, TNull, TSchema } from '@sinclair/typebox';
import { agentEndpoints } from './agents.js';
import { noiseEndpoints } from './noise.js';
import { channelEndpoints, destinationEndpoints } from './channels.js';
import { deploymentEndpoints } from './deployment.js';
import { inboxEndpoints } from './inbox.js';
import { lifecycleEndpoints } from './lifecycle.js';
import { notificationEndpoints } from './notifications.js';
import { preferenceChannelEndpoints } from './preference-channels.js';
import { provisionerEndpoints } from './provisioner.js';
import { templateEndpoints } from './templates.js';
import { userEndpoints } from './users.js';
import { workspaceEndpoints } from './workspaces.js';

/** Everything under this prefix is the API. */
export const API_PREFIX = '/api/v2';

/**
 * One endpoint of the API: what it takes and what it answers on success, keyed "METHOD /path/{param}"
 * (the path under /api/v2). Error answers are the shared ErrorResponse. The typed client is built
 * over this table, and the OpenAPI document takes the answers documented here.
 */
export interface EndpointSchema {
  params?: TSchema;
  querystring?: TSchema;
  body?: TSchema;
  response: Readonly<Record<number, TSchema>>;
}

export const endpoints = {
  ...userEndpoints,
  ...notificationEndpoints,
  ...preferenceChannelEndpoints,
  ...inboxEndpoints,
  ...deploymentEndpoints,
  ...templateEndpoints,
  ...workspaceEndpoints,
  ...provisionerEndpoints,
  ...agentEndpoints,
  ...lifecycleEndpoints,
  ...noiseEndpoints,
  ...channelEndpoints,
  ...destinationEndpoints,
} as const satisfies Record<string, EndpointSchema>;

export type Endpoints = typeof endpoints;
export type EndpointKey = keyof Endpoints;

type Part<E, K extends string, Name extends string, Required extends boolean> = E extends { [P in K]: infer S extends TSchema }
  ? Required extends true
    ? { [P in Name]: Static<S> }
    : { [P in Name]?: Static<S> }
  : { [P in Name]?: undefined };

/** What a call takes: path values, query parameters and body, each only when the endpoint has one. */
export type Input<K extends EndpointKey> = Part<Endpoints[K], 'params', 'params', true> &
  Part<Endpoints[K], 'querystring', 'query', false> &
  Part<Endpoints[K], 'body', 'body', true>;

type Success = 200 | 201 | 202 | 204 | 304;
type Answer<S> = S extends TNull ? undefined : S extends TSchema ? Static<S> : never;
/** What a call answers on success (an empty answer, 204 or 304, is undefined). */
export type Output<K extends EndpointKey> = K extends EndpointKey
  ? { [C in keyof Endpoints[K]['response']]: C extends Success ? Answer<Endpoints[K]['response'][C]> : never }[keyof Endpoints[K]['response']]
  : never;

/** A JSON path value of an endpoint ("/users/{user}"), filled from params. */
export function fillPath(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = params?.[name];
    if (v === undefined || v === null || v === '') throw new Error(`missing path value "${name}" for ${template}`);
    return encodeURIComponent(String(v));
  });
}

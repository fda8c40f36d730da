// The body-less request rule over the whole route list (issue 23): a request without body bytes is
// taken under any content type (Node clients label body-less requests), while a body with bytes
// still has to be JSON. Every non-GET route of the endpoint table is sent an empty body under
// three content types, on both engines; then random spellings of those types (parameters, case).

import http from 'node:http';
import fc from 'fast-check';
import type { TObject, TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { endpoints, type EndpointSchema } from '../../src/contract/endpoints.js';

const CONTENT_TYPES = ['application/x-www-form-urlencoded', 'text/plain', 'application/json'] as const;
const ROUTES = Object.entries(endpoints as Record<string, EndpointSchema>)
  .map(([key, e]) => ({ method: key.split(' ')[0], path: key.split(' ')[1], schema: e }))
  .filter((r) => r.method !== 'GET');

/** One request; `chunked` sends the (empty) body with Transfer-Encoding: chunked instead of a length. */
function send(
  baseUrl: string,
  method: string,
  path: string,
  token: string,
  contentType: string,
  body = '',
  chunked = false,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(body);
    const length: Record<string, string | number> = chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': data.length };
    const req = http.request(
      new URL(`/api/v2${path}`, baseUrl),
      { method, headers: { 'Content-Type': contentType, ...length, 'Coder-Session-Token': token } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describeEachEngine('body-less requests under any content type', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;

  beforeAll(async () => {
    server = await startTestServer(engine);
    owner = (await setupOwner(server.api)).api;
  });
  afterAll(async () => server?.stop());

  /** A fresh owner token (logout ends one) and path values: a fresh user, ids that exist nowhere. */
  async function prepare(route: (typeof ROUTES)[number]): Promise<{ path: string; token: string }> {
    const token = (await owner.post('/users/me/keys/tokens', { token_name: `p${Math.random().toString(36).slice(2, 10)}` })).body.key as string;
    const props = ((route.schema.params as TObject | undefined)?.properties ?? {}) as Record<string, TSchema & { format?: string; type?: string }>;
    let path = route.path;
    for (const [name, s] of Object.entries(props)) {
      const value =
        name === 'user'
          ? (await createUser(owner)).id
          : name === 'organization'
            ? 'coder'
            : s.format === 'uuid'
              ? '00000000-0000-4000-8000-000000000000'
              : s.type === 'integer'
                ? '1'
                : 'x';
      path = path.replace(`{${name}}`, value);
    }
    return { path, token };
  }

  const refusedForItsBody = (r: { status: number; body: any }) =>
    r.status === 415 || r.status >= 500 || /valid JSON|content type/i.test(String(r.body?.message ?? ''));

  it('every non-GET route takes an empty body under three content types; a non-empty non-JSON body is still 415', { timeout: 120_000 }, async () => {
    expect(ROUTES.length).toBeGreaterThan(30);
    const refused: string[] = [];
    for (const route of ROUTES) {
      // One token and user per route, not per request; a request that ended the token (logout) or
      // the user gets fresh ones, so that every request reaches the body's parsing signed in.
      let p = await prepare(route);
      for (const type of CONTENT_TYPES) {
        for (const chunked of [false, true]) {
          let r = await send(server.url, route.method, p.path, p.token, type, '', chunked);
          if (r.status === 401) {
            p = await prepare(route);
            r = await send(server.url, route.method, p.path, p.token, type, '', chunked);
          }
          if (refusedForItsBody(r)) refused.push(`${route.method} ${route.path} [${type}${chunked ? ', chunked' : ''}]: ${r.status} ${JSON.stringify(r.body)}`);
          if (route.method === 'DELETE' || /logout|status|suspend|activate/.test(route.path)) p = await prepare(route);
        }
      }
    }
    expect(refused).toEqual([]);
    // The rule is about empty bodies only: bytes that are not JSON are refused for their type.
    const notJson: string[] = [];
    for (const route of ROUTES.filter((x) => !x.path.includes('/me/') && !x.path.startsWith('/provisionerdaemons'))) {
      for (const [type, chunked] of [['application/x-www-form-urlencoded', false], ['text/plain', true]] as const) {
        const { path, token } = await prepare(route);
        const r = await send(server.url, route.method, path, token, type, 'a=1', chunked);
        if (r.status !== 415) notJson.push(`${route.method} ${route.path} [${type}]: ${r.status}`);
      }
    }
    expect(notJson).toEqual([]);
  });

  it('holds for any spelling of those content types (parameters, case)', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.constantFrom(...CONTENT_TYPES),
        fc.constantFrom('', '; charset=utf-8', ';charset=ISO-8859-1', '; boundary=x'),
        fc.boolean(),
        fc.boolean(),
        async (route, type, params, upper, chunked) => {
          const { path, token } = await prepare(route);
          const spelled = (upper ? type.toUpperCase() : type) + params;
          const r = await send(server.url, route.method, path, token, spelled, '', chunked);
          expect(refusedForItsBody(r), `${route.method} ${route.path} [${spelled}]: ${r.status} ${JSON.stringify(r.body)}`).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  });
});

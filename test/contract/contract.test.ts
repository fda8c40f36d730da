// The API contract (src/contract/): the endpoint table matches the routes the server registers, the
// OpenAPI document takes its answers from it, the server's answers match its schemas, and the
// shared typed client speaks to a real server (params, query, bodies, empty answers, typed errors).

import { Value } from '@sinclair/typebox/value';
import { FormatRegistry, Type, type TSchema } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type TestServer } from '../support/server.js';
import { openApiDocument } from '../../src/server/openapi.js';
import {
  API_PREFIX,
  ApiClient,
  ApiError,
  DeploymentConfig,
  DispatchMethods,
  endpoints,
  InboxPage,
  MessagesResponse,
  NotificationSettings,
  NotificationTemplate,
  Preference,
  Template,
  User,
  UserList,
  WorkspaceList,
} from '../../src/contract/index.js';

// The formats the contract uses (the server checks them with Ajv; TypeBox's checker needs them named).
FormatRegistry.Set('uuid', (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v));
FormatRegistry.Set('date-time', (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v));

type Doc = { paths: Record<string, Record<string, { responses?: Record<string, unknown>; description?: string }>> };

describe('the endpoint table', () => {
  let doc: Doc;
  beforeAll(async () => {
    doc = (await openApiDocument()) as Doc;
  });

  it('has exactly the documented routes, and each documents its success answers', () => {
    const routes = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.slice(API_PREFIX.length)}`));
    expect(routes.length).toBeGreaterThan(60);
    expect([...routes].sort()).toEqual(Object.keys(endpoints).sort());
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        const codes = Object.keys(op.responses ?? {});
        expect(codes.some((c) => /^(1|2)\d\d$/.test(c)), `${m} ${p} answers`).toBe(true);
      }
    }
  });

  it('documents the inbox watch as a GET that upgrades to a WebSocket of frames', () => {
    const op = doc.paths[`${API_PREFIX}/notifications/inbox/watch`]?.get;
    expect(op?.description).toMatch(/WebSocket/);
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['101', '400', '401', '426']));
    expect(JSON.stringify(op?.responses?.['101'])).toContain('unread_count');
  });
});

describeEachEngine('the typed client', (engine) => {
  let server: TestServer;
  let client: ApiClient;

  const matches = (schema: TSchema, value: unknown, what: string) => {
    const errs = [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`);
    expect(errs, what).toEqual([]);
  };

  beforeAll(async () => {
    server = await startTestServer(engine);
    const { api } = await setupOwner(server.api);
    client = new ApiClient({ baseUrl: server.url, token: api.token });
  });
  afterAll(async () => server?.stop());

  it('logs in, fills path values and answers with the contract types', async () => {
    const anon = new ApiClient({ baseUrl: server.url });
    const login = await anon.call('POST /users/login', { body: { email: 'admin@example.com', password: 'Sup3r-Secret-Passw0rd!' } });
    expect(login.session_token).toMatch(/-/);
    const me = await new ApiClient({ baseUrl: server.url, token: login.session_token }).call('GET /users/{user}', { params: { user: 'me' } });
    expect(me.username).toBe('admin');
    matches(User, me, 'GET /users/{user}');
  });

  it('answers of the server match the contract schemas', async () => {
    matches(UserList, await client.call('GET /users', { query: { q: 'admin', limit: 10 } }), 'GET /users');
    matches(Type.Array(NotificationTemplate), await client.call('GET /notifications/templates/system'), 'templates');
    matches(Type.Array(Preference), await client.call('GET /users/{user}/notifications/preferences', { params: { user: 'me' } }), 'preferences');
    matches(InboxPage, await client.call('GET /notifications/inbox'), 'inbox');
    matches(NotificationSettings, await client.call('GET /notifications/settings'), 'settings');
    matches(DispatchMethods, await client.call('GET /notifications/dispatch-methods'), 'dispatch methods');
    matches(DeploymentConfig, await client.call('GET /deployment/config'), 'deployment config');
    matches(Type.Array(Template), await client.call('GET /templates'), 'templates');
    matches(WorkspaceList, await client.call('GET /workspaces', { query: { q: 'owner:me' } }), 'workspaces');
    // A delivery row exists once a test notification is queued.
    expect(await client.call('POST /notifications/test')).toBeUndefined();
    const history = await client.call('GET /notifications/messages', { query: { limit: 5 } });
    expect(history.count).toBeGreaterThan(0);
    matches(MessagesResponse, history, 'messages');
  });

  it('answers an unchanged value (304) and no content (204) as undefined', async () => {
    expect(await client.call('PUT /notifications/settings', { body: { notifier_paused: false } })).toEqual({ notifier_paused: false });
    expect(await client.call('PUT /notifications/settings', { body: { notifier_paused: false } })).toBeUndefined();
    expect(await client.call('PUT /notifications/inbox/mark-all-as-read')).toBeUndefined();
  });

  it('throws a typed ApiError with the status, message and validations', async () => {
    const err = await client.call('POST /users', { body: { email: 'a@example.com', username: 'new-user', login_type: 'password' } }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.message).toBe('Validation failed.');
    expect(err.validations).toEqual([{ field: 'password', detail: 'A password is required for password login.' }]);
    const unauthorized = await new ApiClient({ baseUrl: server.url }).call('GET /users/me').catch((e) => e);
    expect(unauthorized).toBeInstanceOf(ApiError);
    expect(unauthorized.status).toBe(401);
  });

  it('a plain GET of the inbox watch answers 426 with a JSON error', async () => {
    const err = await client.send('GET', '/notifications/inbox/watch').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(426);
    expect(err.message).toBe('Upgrade Required');
  });
});

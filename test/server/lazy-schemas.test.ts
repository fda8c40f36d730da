import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAllSchemas } from '../../src/server/app.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Route schemas compile on a route's first request, not at start (24.5c, cold start). What a
// client sees does not change: validation errors, coercion, defaults and serialised responses are
// the compiled schemas' own; and every schema of the API compiles (compileAllSchemas), so a broken
// one fails here rather than on its first request in production.
describe('route schemas compiled on first use', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => server?.stop());

  it('validates, coerces and serialises on the first request of a route, as when compiled at start', async () => {
    const anon = server.api;
    // A body and a response compiled on this request: per-field validations, the error contract.
    const weak = await anon.post('/users/first', { email: 'not-an-email', username: 'bad name!', password: 'x' });
    expect(weak.status).toBe(400);
    expect(weak.body.message).toEqual(expect.any(String));
    expect(weak.body.validations.map((v: { field: string }) => v.field).sort()).toEqual(expect.arrayContaining(['email', 'username']));
    // A serialised response keeps exactly its schema's fields.
    const info = await anon.get('/buildinfo');
    expect(info.status).toBe(200);
    expect(Object.keys(info.body).sort()).toEqual(['dashboard_url', 'external_url', 'version']);
  });

  it('compiles every remaining schema of the API without an error, once', () => {
    const compiled = compileAllSchemas(server.app);
    // ~170 routes with a response schema each, most with a body, query or params schema: nothing
    // but the few requested above was compiled at start.
    expect(compiled).toBeGreaterThan(150);
    expect(compileAllSchemas(server.app)).toBe(0);
  });
});

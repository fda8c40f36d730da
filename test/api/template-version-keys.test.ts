import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';

// A pasted version without its {"definition": …} wrapper, or a misspelt key, used to create an empty
// version without a word: now it is a 400 that names the key, and nothing is created.
describeEachEngine('template version keys', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  beforeAll(async () => {
    server = await startTestServer(engine);
    ({ api: owner } = await setupOwner(server.api));
  });
  afterAll(async () => server?.stop());

  const count = async () => (await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM template_versions')).rows[0].n;

  it('refuses unknown keys with a 400 naming each, and creates nothing', async () => {
    const before = await count();
    const typo = await owner.post('/organizations/coder/templateversions', { definiton: { provisioner: 'builtin', resources: [] } });
    expect(typo.status).toBe(400);
    expect(typo.body.validations).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'definiton' })]));
    const unwrapped = await owner.post('/organizations/coder/templateversions', { provisioner: 'builtin', resources: [], has_ai_task: false });
    expect(unwrapped.status).toBe(400);
    expect(unwrapped.body.validations.map((v: { field: string }) => v.field).sort()).toEqual(['has_ai_task', 'resources']);
    expect(await count()).toBe(before);
    // The reference's request fields are still taken.
    const ok = await owner.post('/organizations/coder/templateversions', {
      definition: { provisioner: 'builtin', resources: [] },
      storage_method: 'file',
      provisioner: 'terraform',
      tags: {},
      user_variable_values: [],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });
});

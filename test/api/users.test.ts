import { SIGNED_OUT } from '../../src/auth/service.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, OWNER, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';

describeEachEngine('users and auth API', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let ownerId: string;

  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(async () => server?.stop());

  it('reports no first user, creates it as owner, then refuses a second', async () => {
    const anon = server.api;
    expect((await anon.get('/users/first')).status).toBe(404);
    const weak = await anon.post('/users/first', { ...OWNER, password: 'password' });
    expect(weak.status).toBe(400);
    expect(weak.body.validations[0].field).toBe('password');
    const s = await setupOwner(anon);
    owner = s.api;
    ownerId = s.userId;
    expect((await anon.get('/users/first')).status).toBe(200);
    const again = await anon.post('/users/first', { ...OWNER, email: 'x@example.com', username: 'x' });
    expect(again.status).toBe(409);
    const me = await owner.get('/users/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: ownerId, username: 'admin', email: OWNER.email, status: 'active' });
    expect(me.body.roles).toEqual([{ name: 'owner', display_name: 'Owner' }]);
    expect(me.body.organization_ids).toHaveLength(1);
  });

  it('logs in with a session cookie and rejects wrong passwords, unknown users and the system user', async () => {
    const anon = server.api;
    const ok = await anon.post('/users/login', { email: OWNER.email, password: OWNER.password });
    expect(ok.status).toBe(201);
    expect(ok.body.session_token).toMatch(/^[A-Za-z0-9]{10}-[A-Za-z0-9]{22}$/);
    expect(ok.headers.get('set-cookie')).toContain('coder_session_token=');
    const viaBearer = await anon.call('GET', '/users/me', undefined, { authorization: `Bearer ${ok.body.session_token}` });
    expect(viaBearer.status).toBe(200);
    const viaCookie = await anon.call('GET', '/users/me', undefined, { cookie: `coder_session_token=${ok.body.session_token}` });
    expect(viaCookie.status).toBe(200);
    for (const body of [
      { email: OWNER.email, password: 'wrong-Passw0rd!!' },
      { email: 'nobody@example.com', password: OWNER.password },
      { email: 'prebuilds@system', password: '' },
    ]) {
      const r = await anon.post('/users/login', body);
      expect(r.status).toBe(401);
      expect(r.body.message).toBe('Incorrect email or password.');
    }
  });

  it('answers 401 without or with a bad token, and logout revokes the session', async () => {
    expect((await server.api.get('/users/me')).status).toBe(401);
    expect((await server.api.as('abcdefghij-abcdefghijklmnopqrstuv').get('/users/me')).status).toBe(401);
    const login = await server.api.post('/users/login', { email: OWNER.email, password: OWNER.password });
    const s = server.api.as(login.body.session_token);
    expect((await s.post('/users/logout')).status).toBe(200);
    const after = await s.get('/users/me');
    expect(after.status).toBe(401);
    expect(after.body.message).toBe(SIGNED_OUT);
    expect(after.body.detail).toBe('API key is invalid.');
  });

  it('validates bodies and params with per-field validations', async () => {
    const r = await owner.post('/users', { email: 'not-an-email', username: 'bad name!', password: 'x' });
    expect(r.status).toBe(400);
    const fields = r.body.validations.map((v: { field: string }) => v.field).sort();
    expect(fields).toEqual(['email', 'username']);
    const missing = await owner.post('/users', {});
    expect(missing.status).toBe(400);
    expect(missing.body.validations.map((v: { field: string }) => v.field).sort()).toEqual(['email', 'username']);
    const badJson = await owner.call('POST', '/users', '{"email":', { 'content-type': 'application/json' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.message).toBe('Request body must be valid JSON.');
    const wrongType = await owner.call('POST', '/users', 'hello', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    const unknownUser = await owner.get('/users/nobody-here');
    expect(unknownUser.status).toBe(400);
    const unknownRoute = await owner.get('/nope');
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.body.message).toMatch(/Route not found/);
    const big = await owner.call('POST', '/users', JSON.stringify({ email: 'a@b.c', username: 'x', password: 'y'.repeat(2 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    const dup = await owner.post('/users', { email: OWNER.email, username: 'other', password: 'An0ther-Str0ng-Passw0rd!' });
    expect(dup.status).toBe(409);
  });

  it('suspends and activates users; a suspended user cannot log in or use old sessions', async () => {
    const m = await createUser(owner);
    expect((await m.api.get('/users/me')).status).toBe(200);
    const s = await owner.put(`/users/${m.username}/status/suspend`);
    expect(s.status).toBe(200);
    expect(s.body.status).toBe('suspended');
    expect((await m.api.get('/users/me')).status).toBe(401);
    // The right password gets exactly the wrong password's answer: it tells nothing.
    const login = await server.api.post('/users/login', { email: m.email, password: 'An0ther-Str0ng-Passw0rd!' });
    const wrong = await server.api.post('/users/login', { email: m.email, password: 'Wr0ng-Passw0rd-here!' });
    expect([login.status, login.body]).toEqual([401, { message: 'Incorrect email or password.' }]);
    expect([wrong.status, wrong.body]).toEqual([login.status, login.body]);
    expect((await owner.put(`/users/${m.id}/status/activate`)).body.status).toBe('active');
    // Reactivation does not revive the sessions the user had before the suspension.
    expect((await m.api.get('/users/me')).status).toBe(401);
    const keys = await server.database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys WHERE user_id = $1`, [m.id]);
    expect(keys.rows[0].n).toBe(0);
    expect((await server.api.post('/users/login', { email: m.email, password: 'An0ther-Str0ng-Passw0rd!' })).status).toBe(201);
    expect((await owner.put(`/users/me/status/suspend`)).status).toBe(400);
  });

  it('refuses a narrower token scope instead of widening it to "all", and tokens for the system user', async () => {
    const narrow = await owner.post('/users/me/keys/tokens', { token_name: 'narrow', scope: 'application_connect' });
    expect(narrow.status).toBe(400);
    expect(narrow.body.validations).toEqual([{ field: 'scope', detail: expect.any(String) }]);
    const junk = await owner.post('/users/me/keys/tokens', { token_name: 'junk', scope: 'root' });
    expect(junk.status).toBe(400);
    const rows = await server.database.db.query<{ token_name: string; scope: string }>(
      `SELECT token_name, scope FROM api_keys WHERE user_id = $1 AND login_type = 'token' ORDER BY token_name`,
      [ownerId],
    );
    expect(rows.rows.filter((r) => ['narrow', 'junk'].includes(r.token_name))).toEqual([]);
    const all = await owner.post('/users/me/keys/tokens', { token_name: 'scoped-all', scope: 'all' });
    expect(all.status).toBe(201);
    // No token for the prebuilds system user, by name or by id, even for an owner.
    for (const who of ['prebuilds', 'c42fdf75-3097-471c-8c33-fb52454d81c0']) {
      const r = await owner.post(`/users/${who}/keys/tokens`, { token_name: 'sys' });
      expect(r.status, who).toBe(403);
    }
    const sys = await server.database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys WHERE user_id = 'c42fdf75-3097-471c-8c33-fb52454d81c0'`);
    expect(sys.rows[0].n).toBe(0);
  });

  it("a user-admin cannot change an owner's roles", async () => {
    const admin = await createUser(owner, ['user-admin']);
    const other = await createUser(owner, ['owner', 'template-admin']);
    for (const roles of [['owner'], ['owner', 'template-admin', 'user-admin'], ['template-admin'], []]) {
      const r = await admin.api.put(`/users/${other.id}/roles`, { roles });
      expect(r.status, JSON.stringify(roles)).toBe(403);
    }
    expect((await owner.get(`/users/${other.id}`)).body.roles.map((r: { name: string }) => r.name).sort()).toEqual(['owner', 'template-admin']);
    // A member's roles are still theirs to manage.
    const member = await createUser(owner);
    expect((await admin.api.put(`/users/${member.id}/roles`, { roles: ['template-admin'] })).status).toBe(200);
    expect((await owner.put(`/users/${other.id}/roles`, { roles: [] })).status).toBe(200);
  });

  it('user search takes % and _ literally', async () => {
    await createUser(owner, [], { username: 'percent-user', email: 'pct%sign@example.com' });
    for (const [q, expected] of [
      ['%', ['percent-user']],
      ['_', []],
      ['%sign', ['percent-user']],
      ['p_t', []],
    ] as const) {
      const r = await owner.get('/users?q=' + encodeURIComponent(q));
      expect(r.status).toBe(200);
      expect(r.body.users.map((u: { username: string }) => u.username), q).toEqual(expected);
      expect(r.body.count).toBe(expected.length);
    }
  });

  it('a malformed session cookie is a 401 on every authenticated route, and ignored on public ones', async () => {
    for (const cookie of ['coder_session_token=%', 'coder_session_token=%E0%A4%A', 'a=b; coder_session_token=%zz']) {
      const me = await server.api.call('GET', '/users/me', undefined, { cookie });
      expect([me.status, me.body.message], cookie).toEqual([401, SIGNED_OUT]);
      const first = await server.api.call('GET', '/users/first', undefined, { cookie });
      expect(first.status, cookie).toBe(200);
      const login = await server.api.call('POST', '/users/login', { email: OWNER.email, password: 'wrong-Passw0rd!!' }, { cookie });
      expect(login.status, cookie).toBe(401);
    }
  });

  it('no database message text in an answer: a NUL in the search is a plain 400', async () => {
    for (const q of ['\u0000', 'a\u0000b']) {
      const r = await owner.get('/users?q=' + encodeURIComponent(q));
      expect(r.status).toBe(400);
      expect(r.body.message).toBe('Invalid input.');
      expect(JSON.stringify(r.body)).not.toMatch(/UTF8|0x00|byte sequence|encoding|syntax|postgres|SQL/i);
    }
  });

  it('creates API tokens that authenticate, within the maximum lifetime', async () => {
    const t = await owner.post('/users/me/keys/tokens', { token_name: 'ci', lifetime: 3600 * 1e9 });
    expect(t.status).toBe(201);
    expect((await server.api.as(t.body.key).get('/users/me')).body.id).toBe(ownerId);
    const tooLong = await owner.post('/users/me/keys/tokens', { token_name: 'forever', lifetime: 10 * 365 * 24 * 3600 * 1e9 });
    expect(tooLong.status).toBe(400);
    const dup = await owner.post('/users/me/keys/tokens', { token_name: 'ci' });
    expect(dup.status).toBe(409);
  });

  it('lists users with search filters', async () => {
    const r = await owner.get('/users?q=' + encodeURIComponent('role:owner'));
    expect(r.status).toBe(200);
    expect(r.body.users.map((u: { username: string }) => u.username)).toEqual(['admin']);
    const all = await owner.get('/users');
    expect(all.body.count).toBe(all.body.users.length);
    expect(all.body.users.some((u: { username: string }) => u.username === 'prebuilds')).toBe(false);
  });

  describe('authorization table', () => {
    type Who = 'anonymous' | 'member' | 'template-admin' | 'user-admin' | 'owner';
    const who: Who[] = ['anonymous', 'member', 'template-admin', 'user-admin', 'owner'];
    const clients = {} as Record<Who, ApiHelper>;

    beforeAll(async () => {
      clients.anonymous = server.api;
      clients.owner = owner;
      clients.member = (await createUser(owner)).api;
      clients['template-admin'] = (await createUser(owner, ['template-admin'])).api;
      clients['user-admin'] = (await createUser(owner, ['user-admin'])).api;
    });

    // Expected status per caller: anonymous, member, template-admin, user-admin, owner.
    const table: [string, (target: string) => [string, string, unknown?], number[]][] = [
      ['GET /users/me', () => ['GET', '/users/me'], [401, 200, 200, 200, 200]],
      ['GET /users', () => ['GET', '/users'], [401, 200, 200, 200, 200]],
      ['GET /users/{user}', (t) => ['GET', `/users/${t}`], [401, 200, 200, 200, 200]],
      ['POST /users', () => ['POST', '/users', { email: `n${Math.random()}@example.com`.replace('0.', ''), username: `n${Math.random().toString(36).slice(2, 9)}`, password: 'An0ther-Str0ng-Passw0rd!' }], [401, 403, 403, 201, 201]],
      ['PUT /users/{user}/status/suspend', (t) => ['PUT', `/users/${t}/status/suspend`], [401, 403, 403, 200, 200]],
      ['PUT /users/{user}/status/activate', (t) => ['PUT', `/users/${t}/status/activate`], [401, 403, 403, 200, 200]],
      ['PUT /users/{user}/roles', (t) => ['PUT', `/users/${t}/roles`, { roles: ['template-admin'] }], [401, 403, 403, 200, 200]],
      ['POST /users/{user}/keys/tokens (other user)', (t) => ['POST', `/users/${t}/keys/tokens`, {}], [401, 403, 403, 403, 201]],
      ['DELETE /users/{user}', (t) => ['DELETE', `/users/${t}`], [401, 403, 403, 200, 200]],
    ];

    for (const [name, req, expected] of table) {
      it(name, async () => {
        for (const [i, w] of who.entries()) {
          const target = (await createUser(owner)).id;
          const [method, path, body] = req(target);
          const r = await clients[w].call(method, path, body);
          expect({ who: w, status: r.status }).toEqual({ who: w, status: expected[i] });
        }
      });
    }
  });
});

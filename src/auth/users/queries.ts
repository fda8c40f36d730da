import type { UserRow } from '../../access/actor.js';
import type { Queryable } from '../../db/database.js';

export type { UserRow };

const COLS = `id, email, username, name, hashed_password, created_at, updated_at, status, rbac_roles,
  login_type, avatar_url, deleted, last_seen_at, theme_preference, hashed_one_time_passcode,
  one_time_passcode_expires_at, must_reset_password, is_system`;

export const PREBUILDS_SYSTEM_USER_ID = 'c42fdf75-3097-471c-8c33-fb52454d81c0';

export async function getUserById(q: Queryable, id: string): Promise<UserRow | undefined> {
  const r = await q.query<UserRow>(`SELECT ${COLS} FROM users WHERE id = $1 AND deleted = false`, [id]);
  return r.rows[0];
}

export async function getUserByUsername(q: Queryable, username: string): Promise<UserRow | undefined> {
  const r = await q.query<UserRow>(
    `SELECT ${COLS} FROM users WHERE lower(username) = lower($1) AND deleted = false`,
    [username],
  );
  return r.rows[0];
}

export async function getUserByEmail(q: Queryable, email: string): Promise<UserRow | undefined> {
  const r = await q.query<UserRow>(`SELECT ${COLS} FROM users WHERE lower(email) = lower($1) AND deleted = false`, [
    email,
  ]);
  return r.rows[0];
}

export async function countUsers(q: Queryable, includeSystem = false): Promise<number> {
  const r = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM users WHERE deleted = false ${includeSystem ? '' : 'AND is_system = false'}`,
  );
  return r.rows[0].n;
}

export interface ListUsersFilter {
  search?: string;
  status?: string;
  role?: string;
  limit: number;
  offset: number;
}

export async function listUsers(q: Queryable, f: ListUsersFilter): Promise<{ users: UserRow[]; count: number }> {
  const where = ['deleted = false', 'is_system = false'];
  const params: unknown[] = [];
  if (f.search) {
    // The search text is literal: % and _ match themselves, not any characters.
    params.push(`%${f.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(lower(username) LIKE $${params.length} ESCAPE '\\' OR lower(email) LIKE $${params.length} ESCAPE '\\')`);
  }
  if (f.status) {
    params.push(f.status);
    where.push(`status = $${params.length}::user_status`);
  }
  if (f.role) {
    params.push(f.role);
    where.push(f.role === 'member' ? 'true' : `$${params.length} = ANY(rbac_roles)`);
  }
  const w = where.join(' AND ');
  const total = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE ${w}`, params);
  params.push(f.limit, f.offset);
  const r = await q.query<UserRow>(
    `SELECT ${COLS} FROM users WHERE ${w} ORDER BY lower(username) LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return { users: r.rows, count: total.rows[0].n };
}

export interface NewUser {
  email: string;
  username: string;
  name: string;
  hashedPassword: string;
  loginType: 'password' | 'none';
  roles: string[];
  /** 'active' unless the creator asks for a dormant account (the reference's user_status). */
  status?: 'active' | 'dormant';
}

export async function insertUser(q: Queryable, u: NewUser): Promise<UserRow> {
  const r = await q.query<UserRow>(
    `INSERT INTO users (email, username, name, hashed_password, login_type, rbac_roles, status)
     VALUES ($1, $2, $3, $4, $5::login_type, $6::text[], $7::user_status) RETURNING ${COLS}`,
    [u.email, u.username, u.name, Buffer.from(u.hashedPassword), u.loginType, u.roles, u.status ?? 'active'],
  );
  return r.rows[0];
}

/** Whether an organization with this id exists. */
export async function organizationExists(q: Queryable, id: string): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM organizations WHERE id = $1`, [id]);
  return !!r.rowCount;
}

export async function addOrganizationMember(q: Queryable, userId: string, orgId: string): Promise<void> {
  await q.query(
    `INSERT INTO organization_members (user_id, organization_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    [userId, orgId],
  );
}

export async function organizationIdsOf(q: Queryable, userIds: string[]): Promise<Map<string, string[]>> {
  const r = await q.query<{ user_id: string; ids: string[] }>(
    `SELECT user_id, array_agg(organization_id ORDER BY organization_id) AS ids
     FROM organization_members WHERE user_id = ANY($1::uuid[]) GROUP BY user_id`,
    [userIds],
  );
  return new Map(r.rows.map((x) => [x.user_id, x.ids]));
}

export async function updateUserStatus(q: Queryable, id: string, status: string): Promise<UserRow> {
  const r = await q.query<UserRow>(
    `UPDATE users SET status = $2::user_status, updated_at = now() WHERE id = $1 RETURNING ${COLS}`,
    [id, status],
  );
  return r.rows[0];
}

export async function updateUserRoles(q: Queryable, id: string, roles: string[]): Promise<UserRow> {
  const r = await q.query<UserRow>(
    `UPDATE users SET rbac_roles = $2::text[], updated_at = now() WHERE id = $1 RETURNING ${COLS}`,
    [id, roles],
  );
  return r.rows[0];
}

/** Marks the user deleted (the row stays for history) and revokes every key. */
export async function softDeleteUser(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE users SET deleted = true, updated_at = now() WHERE id = $1`, [id]);
  await q.query(`DELETE FROM api_keys WHERE user_id = $1`, [id]);
}

/** New password; any pending one-time passcode is cleared with it (single use). */
export async function updateUserHashedPassword(q: Queryable, id: string, hashed: string): Promise<void> {
  await q.query(
    `UPDATE users SET hashed_password = $2, hashed_one_time_passcode = NULL,
       one_time_passcode_expires_at = NULL, must_reset_password = false, updated_at = now()
     WHERE id = $1`,
    [id, Buffer.from(hashed)],
  );
}

export async function touchLastSeen(q: Queryable, id: string): Promise<void> {
  await q.query(`UPDATE users SET last_seen_at = now() WHERE id = $1 AND last_seen_at < now() - interval '1 minute'`, [
    id,
  ]);
}

/** Active, non-system users holding any of the roles (owners, admins …), sorted by username. */
export async function usersWithRoles(q: Queryable, roles: string[]): Promise<UserRow[]> {
  const r = await q.query<UserRow>(
    `SELECT ${COLS} FROM users WHERE deleted = false AND is_system = false AND status = 'active'
       AND rbac_roles && $1::text[] ORDER BY lower(username)`,
    [roles],
  );
  return r.rows;
}

export async function defaultOrganizationId(q: Queryable): Promise<string> {
  const r = await q.query<{ id: string }>(`SELECT id FROM organizations WHERE is_default = true`);
  return r.rows[0].id;
}

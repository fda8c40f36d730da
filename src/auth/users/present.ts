import type { Queryable } from '../../db/database.js';
import { ROLE_DISPLAY, type Role } from '../../access/roles.js';
import type { UserJson } from '../../contract/common.js';
import { organizationIdsOf, type UserRow } from './queries.js';

/** The API's User shape (codersdk.User). */
export async function presentUsers(q: Queryable, rows: UserRow[]): Promise<UserJson[]> {
  const orgs = await organizationIdsOf(
    q,
    rows.map((r) => r.id),
  );
  return rows.map((u) => ({
    id: u.id,
    username: u.username,
    email: u.email,
    name: u.name,
    avatar_url: u.avatar_url,
    created_at: u.created_at.toISOString(),
    updated_at: u.updated_at.toISOString(),
    last_seen_at: u.last_seen_at.toISOString(),
    status: u.status,
    login_type: u.login_type,
    theme_preference: u.theme_preference,
    organization_ids: orgs.get(u.id) ?? [],
    roles: u.rbac_roles.map((r) => ({ name: r, display_name: ROLE_DISPLAY[r as Role] ?? r })),
  }));
}

export async function presentUser(q: Queryable, row: UserRow): Promise<UserJson> {
  return (await presentUsers(q, [row]))[0];
}

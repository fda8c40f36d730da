import type { Queryable } from '../../db/database.js';
import { newToken, parseToken, secretMatches } from '../../access/tokens.js';

export interface ProvisionerKeyRow {
  id: string;
  created_at: Date;
  organization_id: string;
  name: string;
  token_id: string;
  hashed_secret: Uint8Array;
}

/** Creates a key; the secret is returned once and only its hash is stored. */
export async function createProvisionerKey(q: Queryable, orgId: string, name: string, createdBy: string): Promise<{ id: string; key: string }> {
  const t = newToken();
  const r = await q.query<{ id: string }>(
    `INSERT INTO provisioner_keys (organization_id, name, token_id, hashed_secret, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [orgId, name, t.id, t.hashedSecret, createdBy],
  );
  return { id: r.rows[0].id, key: t.token };
}

export async function checkProvisionerKey(q: Queryable, key: string): Promise<ProvisionerKeyRow | undefined> {
  const parsed = parseToken(key);
  if (!parsed) return undefined;
  const r = await q.query<ProvisionerKeyRow>(
    `SELECT id, created_at, organization_id, name, token_id, hashed_secret FROM provisioner_keys WHERE token_id = $1`,
    [parsed.id],
  );
  const row = r.rows[0];
  return row && secretMatches(parsed.secret, row.hashed_secret) ? row : undefined;
}

export async function listProvisionerKeys(q: Queryable, orgId: string): Promise<ProvisionerKeyRow[]> {
  const r = await q.query<ProvisionerKeyRow>(
    `SELECT id, created_at, organization_id, name, token_id, hashed_secret FROM provisioner_keys WHERE organization_id = $1 ORDER BY lower(name)`,
    [orgId],
  );
  return r.rows;
}

export async function deleteProvisionerKey(q: Queryable, orgId: string, name: string): Promise<boolean> {
  const r = await q.query(`DELETE FROM provisioner_keys WHERE organization_id = $1 AND lower(name) = lower($2)`, [orgId, name]);
  return r.rowCount > 0;
}

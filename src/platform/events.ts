import type { Queryable } from '../db/database.js';
import type { Logger } from '../lib/logger.js';

/**
 * Runs a side effect (enqueueing notifications) inside the caller's transaction behind a
 * savepoint: when it throws, its writes are undone and the error is logged, and the event that
 * raised it still commits.
 */
export async function safely(q: Queryable, log: Logger, what: string, fn: () => Promise<void>): Promise<void> {
  await q.query('SAVEPOINT herald_side_effect');
  try {
    await fn();
    await q.query('RELEASE SAVEPOINT herald_side_effect');
  } catch (err) {
    await q.query('ROLLBACK TO SAVEPOINT herald_side_effect').catch(() => undefined);
    log.error({ err }, `${what} failed`);
  }
}

export interface OrganizationRow {
  id: string;
  name: string;
  display_name: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An {org} path value: an organization id or its name. */
export async function findOrganization(q: Queryable, value: string): Promise<OrganizationRow | undefined> {
  const r = UUID.test(value)
    ? await q.query<OrganizationRow>(`SELECT id, name, display_name FROM organizations WHERE id = $1`, [value])
    : await q.query<OrganizationRow>(`SELECT id, name, display_name FROM organizations WHERE lower(name) = lower($1)`, [value]);
  return r.rows[0];
}

export async function getOrganization(q: Queryable, id: string): Promise<OrganizationRow> {
  const r = await q.query<OrganizationRow>(`SELECT id, name, display_name FROM organizations WHERE id = $1`, [id]);
  return r.rows[0];
}

import type { Queryable } from '../../db/database.js';

export interface FileRow {
  id: string;
  hash: string;
  created_at: Date;
  created_by: string;
  mimetype: string;
  data: Buffer;
}

/** Stores the bytes once per uploader: the same bytes again answer the file already stored. */
export async function insertFile(q: Queryable, f: { hash: string; createdBy: string; mimetype: string; data: Buffer }): Promise<{ id: string; created: boolean }> {
  const r = await q.query<{ id: string }>(
    `INSERT INTO files (hash, created_by, mimetype, data) VALUES ($1, $2, $3, $4)
     ON CONFLICT (hash, created_by) DO NOTHING RETURNING id`,
    [f.hash, f.createdBy, f.mimetype, f.data],
  );
  if (r.rows[0]) return { id: r.rows[0].id, created: true };
  const old = await q.query<{ id: string }>(`SELECT id FROM files WHERE hash = $1 AND created_by = $2`, [f.hash, f.createdBy]);
  return { id: old.rows[0].id, created: false };
}

export async function getFile(q: Queryable, id: string): Promise<FileRow | undefined> {
  const r = await q.query<FileRow>(`SELECT id, hash, created_at, created_by, mimetype, data FROM files WHERE id = $1`, [id]);
  const row = r.rows[0];
  if (row && !Buffer.isBuffer(row.data)) row.data = Buffer.from(row.data as unknown as Uint8Array);
  return row;
}

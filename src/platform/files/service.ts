import crypto from 'node:crypto';
import type { Database } from '../../db/database.js';
import { Invalid, NotFound } from '../../lib/errors.js';
import * as fq from './queries.js';

/** What the reference's upload accepts: a template's source as a tar or zip archive. */
export const FILE_MIMETYPES = ['application/x-tar', 'application/zip'] as const;
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** The file in a template archive that carries Herald's version file (definition, parameters, presets). */
export const VERSION_FILE = 'herald.json';

export interface FileService {
  /** Stores an upload; `created` is false when the uploader had stored the same bytes before. */
  upload(userId: string, mimetype: string, data: Buffer): Promise<{ id: string; created: boolean }>;
  get(id: string): Promise<fq.FileRow>;
}

export function createFileService(deps: { db: Database }): FileService {
  return {
    async upload(userId, mimetype, data) {
      if (!data.length) throw new Invalid('The uploaded file is empty.', 'Send a tar or zip archive as the request body.', [{ field: 'body', detail: 'empty' }]);
      const type = mimetype.split(';')[0].trim().toLowerCase();
      if (!(FILE_MIMETYPES as readonly string[]).includes(type)) {
        throw new Invalid(`Unsupported content type header "${type}".`, `These values are supported: ${FILE_MIMETYPES.map((m) => `"${m}"`).join(', ')}`);
      }
      const hash = crypto.createHash('sha256').update(data).digest('hex');
      return fq.insertFile(deps.db, { hash, createdBy: userId, mimetype: type, data });
    },
    async get(id) {
      const f = await fq.getFile(deps.db, id);
      if (!f) throw new NotFound();
      return f;
    },
  };
}

/**
 * The version file inside an uploaded tar archive, parsed as JSON; undefined when the archive has
 * none (a version with the default definition) or is a zip. Only the ustar headers are read:
 * name (0–100), size in octal (124–136), type (156) and the name prefix (345–500).
 */
export function versionFileOf(file: { mimetype: string; data: Buffer }): unknown {
  if (file.mimetype !== 'application/x-tar') return undefined;
  const buf = file.data;
  for (let at = 0; at + 512 <= buf.length; ) {
    const header = buf.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const text = (from: number, to: number) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(text(124, 136).trim() || '0', 8);
    if (!Number.isFinite(size) || size < 0) break;
    const prefix = text(345, 500);
    const name = (prefix ? `${prefix}/` : '') + text(0, 100);
    const type = String.fromCharCode(header[156] || 48);
    const body = at + 512;
    if ((type === '0' || type === '\0') && name.replace(/^\.\//, '') === VERSION_FILE) {
      const raw = buf.subarray(body, body + size).toString('utf8');
      try {
        return JSON.parse(raw);
      } catch {
        throw new Invalid('Invalid template version file.', `${VERSION_FILE} in the uploaded archive is not JSON.`, [{ field: 'file_id', detail: `${VERSION_FILE} is not JSON` }]);
      }
    }
    at = body + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

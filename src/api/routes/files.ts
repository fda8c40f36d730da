import type { FastifyInstance } from 'fastify';
import { authorize } from '../auth.js';
import { errors } from '../../contract/common.js';
import { FILE_MIMETYPES, MAX_FILE_BYTES, type FileService } from '../../platform/files/service.js';

/** POST /files: the reference's upload of a template's source archive (tar or zip), answered with its id. */
export async function fileRoutes(app: FastifyInstance, files: FileService): Promise<void> {
  // Its own scope: archives are bytes, not JSON, and only here.
  await app.register(async (scope) => {
    for (const type of FILE_MIMETYPES) {
      scope.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: MAX_FILE_BYTES }, (_req, body, done) => done(null, body));
    }
    scope.post(
      '/files',
      {
        bodyLimit: MAX_FILE_BYTES,
        schema: {
          tags: ['Files'],
          description:
            'Reference compatibility (its upload flow): the body is a tar (`application/x-tar`) or zip (`application/zip`) archive, at most 10 MiB; answers `{hash}` (the file id; 201, or 200 when the caller uploaded the same bytes before). Pass it as `file_id` to `POST /organizations/{organization}/templateversions`: a `herald.json` in the tar supplies the definition, parameters, presets and readme the request leaves out. Template admins and owners.',
          response: errors(400, 401, 403, 413, 415),
        },
      },
      async (req, reply) => {
        const actor = authorize(req, 'template:create');
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const out = await files.upload(actor.user.id, String(req.headers['content-type'] ?? ''), body);
        return reply.status(out.created ? 201 : 200).send({ hash: out.id });
      },
    );
  });
}

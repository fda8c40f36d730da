import { isUtf8 } from 'node:buffer';
import { errorCodes, type FastifyRequest } from 'fastify';
import { badRequest } from './errors.js';

type DefaultJsonParser = (req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => void;

/**
 * Fastify's own JSON parser (prototype-poisoning checks and all), behind a UTF-8 check: bytes that
 * are not UTF-8 would otherwise be decoded to U+FFFD and accepted as some other text.
 */
export function jsonBodyParser(parse: DefaultJsonParser) {
  return (req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void): void => {
    // An empty body (sent chunked, so its label was kept) is no body.
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    if (!isUtf8(body)) {
      done(badRequest('Request body must be valid UTF-8.', undefined, [{ field: 'body', detail: 'not valid UTF-8' }]));
      return;
    }
    parse(req, body.toString('utf8'), done);
  };
}

/**
 * A request without body bytes has no media type to check. Axios in Node labels a body-less PUT or
 * POST `application/x-www-form-urlencoded`, and Fastify would answer 415 for a body that is not
 * there. Forgetting the label lets an empty body through under any content type; a body with bytes
 * still goes through the parsers (JSON only). Runs as an onRequest hook, before parsing.
 */
export async function ignoreContentTypeOfEmptyBody(req: FastifyRequest): Promise<void> {
  const h = req.raw.headers;
  if (h['content-type'] === undefined || h['transfer-encoding'] !== undefined) return;
  if (h['content-length'] === undefined || h['content-length'] === '0') delete h['content-type'];
}

/**
 * Any other media type: an empty body (a chunked request with no bytes, whose label the hook above
 * could not drop) is no body; bytes are refused as Fastify refuses an unknown type (415).
 */
export function emptyBodyParser(_req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void): void {
  if (body.length === 0) done(null, undefined);
  else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE());
}

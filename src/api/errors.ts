import type { FastifyError, FastifyInstance } from 'fastify';
import { DomainError, Invalid, RateLimited } from '../lib/errors.js';

export interface Validation {
  field: string;
  detail: string;
}

/** Every error answer is {message, detail?, validations?}; throw this from a route. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
    readonly validations?: Validation[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, detail?: string, validations?: Validation[]) =>
  new HttpError(400, message, detail, validations);
export const unauthorized = (message = 'You must be logged in to do that.', detail?: string) =>
  new HttpError(401, message, detail);
/** The reference's 403 texts (httpapi.Forbidden). */
export const FORBIDDEN_DETAIL =
  "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials.";
export const forbidden = (message = 'Forbidden.', detail: string | undefined = FORBIDDEN_DETAIL) => new HttpError(403, message, detail);
export const notFound = (message = 'Resource not found or you do not have access to this resource') =>
  new HttpError(404, message);
export const conflict = (message: string, detail?: string) => new HttpError(409, message, detail);

interface AjvError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function toValidations(errors: AjvError[], context: string | undefined): Validation[] {
  const seen = new Set<string>();
  const out: Validation[] = [];
  for (const e of errors) {
    let field = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (e.keyword === 'required' && e.params?.missingProperty) {
      field = field ? `${field}.${e.params.missingProperty}` : String(e.params.missingProperty);
    }
    if (e.keyword === 'additionalProperties' && e.params?.additionalProperty) {
      field = field ? `${field}.${e.params.additionalProperty}` : String(e.params.additionalProperty);
    }
    if (!field) field = context === 'body' ? 'body' : (context ?? 'request');
    // An empty required string is the reference's "required" failure too.
    const emptyRequired = e.keyword === 'required' || (e.keyword === 'minLength' && e.params?.limit === 1);
    const detail = emptyRequired ? 'Validation failed for tag "required" with value: ""' : (e.message ?? 'invalid');
    const key = `${field}\0${detail}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, detail });
  }
  return out;
}

const CONTEXT_MESSAGE: Record<string, string> = {
  body: 'Validation failed.',
  querystring: 'Invalid query parameters.',
  params: 'Invalid path parameters.',
  headers: 'Invalid request headers.',
};

const DOMAIN_STATUS: Record<DomainError['kind'], number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  gone: 410,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
};

/** The one place a service's domain error becomes an HTTP answer. */
export function toHttpError(err: DomainError): HttpError {
  const headers = err instanceof RateLimited ? { 'retry-after': String(err.retryAfterSeconds) } : undefined;
  const validations = err instanceof Invalid ? err.validations : undefined;
  return new HttpError(DOMAIN_STATUS[err.kind], err.message, err.detail, validations, headers);
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((raw: FastifyError | HttpError | DomainError, req, reply) => {
    const err = raw instanceof DomainError ? toHttpError(raw) : raw;
    if (err instanceof HttpError) {
      if (err.headers) reply.headers(err.headers);
      return reply.status(err.status).send({
        message: err.message,
        ...(err.detail !== undefined ? { detail: err.detail } : {}),
        ...(err.validations ? { validations: err.validations } : {}),
      });
    }
    // PostgreSQL data exceptions (class 22: bad text encoding, out-of-range values …) come from
    // input that slipped past the schemas: the caller's mistake, not ours.
    const sqlstate = (err as { code?: unknown }).code;
    if (typeof sqlstate === 'string' && /^22[0-9A-Z]{3}$/.test(sqlstate)) {
      // Herald's words only: the database's message text never reaches a response.
      req.log.info({ sqlstate }, 'input refused by the database');
      return reply.status(400).send({
        message: 'Invalid input.',
        detail: 'A value in the request cannot be stored or compared (for example a NUL character, invalid text or a number out of range).',
      });
    }
    const fe = err as FastifyError & { validationContext?: string };
    if (fe.validation) {
      const ctx = fe.validationContext;
      return reply.status(400).send({
        message: CONTEXT_MESSAGE[ctx ?? 'body'] ?? 'Validation failed.',
        validations: toValidations(fe.validation as AjvError[], ctx),
      });
    }
    const status = fe.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const message =
        fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError
          ? 'Request body must be valid JSON.'
          : fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? 'Request body is too large.'
            : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
              ? 'Unsupported content type: send application/json.'
              : err.message;
      return reply.status(status).send({ message, detail: status === 400 ? err.message : undefined });
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ message: 'An internal error occurred.' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ message: `Route not found: ${req.method} ${req.url.split('?')[0]}` });
  });
}

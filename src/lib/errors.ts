// Domain errors: what a service says went wrong, in its own words. Services never speak HTTP;
// the HTTP layer (src/api/errors.ts) is the one place that maps these to status codes.

export interface FieldError {
  field: string;
  detail: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind: 'invalid' | 'not_found' | 'gone' | 'conflict' | 'forbidden' | 'unauthorized' | 'rate_limited' | 'unavailable';
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The input is wrong; `validations` name the fields. */
export class Invalid extends DomainError {
  readonly kind = 'invalid';
  constructor(
    message: string,
    detail?: string,
    readonly validations?: FieldError[],
  ) {
    super(message, detail);
  }
}

/** It does not exist, or the caller may not know that it does. */
export class NotFound extends DomainError {
  readonly kind = 'not_found';
  constructor(message = 'Resource not found or you do not have access to this resource', detail?: string) {
    super(message, detail);
  }
}

/** It existed and was deleted (a workspace): the reference answers 410 Gone. */
export class Gone extends DomainError {
  readonly kind = 'gone';
}

/** The request clashes with the current state (a duplicate name, a build already running …). */
export class Conflict extends DomainError {
  readonly kind = 'conflict';
}

/** The caller is known but may not do this. */
export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
  constructor(message = 'Forbidden.', detail?: string) {
    super(message, detail);
  }
}

/** The caller is not (or no longer) authenticated. */
export class Unauthorized extends DomainError {
  readonly kind = 'unauthorized';
  constructor(message = 'You must be logged in to do that.', detail?: string) {
    super(message, detail);
  }
}

/** Too many requests; try again after `retryAfterSeconds`. */
export class RateLimited extends DomainError {
  readonly kind = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, `Retry after ${retryAfterSeconds} seconds.`);
  }
}

/** A dependency the request needs is not there (a method not configured, a feature switched off). */
export class Unavailable extends DomainError {
  readonly kind = 'unavailable';
}

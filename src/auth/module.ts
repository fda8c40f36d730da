import type { Database } from '../db/database.js';
import type { Logger } from '../lib/logger.js';
import type { Clock } from '../lib/service.js';
import type { Enqueuer } from '../notifications/enqueue.js';
import { createAuthService, type AuthConfig, type AuthService } from './service.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';

export interface AuthServices {
  /** Sessions, tokens, login and password reset. */
  auth: AuthService;
  /** The database-backed rate limits every replica shares (login, reset, API, custom notifications). */
  limiter: RateLimiter;
}

/** Builds the auth folder's services from explicit dependencies. */
export function createAuthServices(deps: {
  db: Database;
  log: Logger;
  enqueuer: Pick<Enqueuer, 'enqueueMany'>;
  config: AuthConfig;
  clock?: Clock;
  /** Whether a password-reset code can be delivered (e-mail or a webhook is configured); default true. */
  passcodeDeliverable?: boolean;
}): AuthServices {
  const limiter = createRateLimiter({ db: deps.db, log: deps.log.child({ component: 'rate-limit' }), clock: deps.clock });
  const auth = createAuthService({ ...deps, log: deps.log.child({ component: 'auth' }), limiter });
  return { auth, limiter };
}

import type { Database } from '../db/database.js';
import type { Logger } from '../lib/logger.js';
import { RateLimited } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/service.js';
import { hitRateLimit, pruneRateLimits } from './queries.js';

// Rate limits whose counters live in the database (rate_limit_windows), so every replica counts
// into the same window: N replicas give the same limit as one. A key's window starts with its
// first hit and lasts the rule's length (a minute unless said otherwise); one upsert per hit.

export interface Limit {
  /** Counts one request for `key`; throws RateLimited (with the seconds until the window ends) past the limit. */
  hit(key: string, message?: string): Promise<void>;
}

export interface RateLimiter {
  /** A named rule: `max` hits per `windowMs` (default one minute) per key; 0 disables it. */
  rule(name: string, max: number, opts?: { windowMs?: number; message?: string }): Limit;
}

export const RATE_LIMITED = 'You have been rate limited. Try again later.';

export function createRateLimiter(deps: { db: Database; log?: Logger; clock?: Clock }): RateLimiter {
  const clock = deps.clock ?? systemClock;
  let longestWindow = 60_000;
  let nextPrune = 0;

  // Each replica prunes at most once a minute; a failed prune is retried next time.
  const prune = (now: number) => {
    if (now < nextPrune) return;
    nextPrune = now + 60_000;
    void pruneRateLimits(deps.db, new Date(now - longestWindow)).catch((err) =>
      deps.log?.warn({ err: (err as Error).message }, 'pruning rate-limit windows failed'),
    );
  };

  return {
    rule(name, max, opts = {}) {
      const windowMs = Math.max(1000, opts.windowMs ?? 60_000);
      longestWindow = Math.max(longestWindow, windowMs);
      return {
        async hit(key, message = opts.message ?? RATE_LIMITED) {
          if (max <= 0) return;
          const now = clock().getTime();
          const w = await hitRateLimit(deps.db, name, key, new Date(now), new Date(now - windowMs));
          prune(now);
          if (w.hits > max) throw new RateLimited(message, Math.max(1, Math.ceil((w.window_start.getTime() + windowMs - now) / 1000)));
        },
      };
    },
  };
}

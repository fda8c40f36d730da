import type { Logger } from '../lib/logger.js';
import type { Enqueuer } from '../notifications/enqueue.js';
import type { Clock } from '../lib/service.js';

/** The only part of the notification engine the platform uses: batch enqueue. */
export type Notifier = Pick<Enqueuer, 'enqueueMany'>;

/** What a platform event needs: where to send its notifications and where to log a failure to. */
export interface EventDeps {
  log: Logger;
  enqueuer: Notifier;
  /** Where timestamps the platform decides on come from (build times, deadlines); the system clock when absent. */
  clock?: Clock;
}

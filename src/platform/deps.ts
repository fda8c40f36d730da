import type { Logger } from '../lib/logger.js';
import type { Enqueuer } from '../notifications/enqueue.js';

/** The only part of the notification engine the platform uses: batch enqueue. */
export type Notifier = Pick<Enqueuer, 'enqueueMany'>;

/** What a platform event needs: where to send its notifications and where to log a failure to. */
export interface EventDeps {
  log: Logger;
  enqueuer: Notifier;
}

// Browser push as a delivery method: the message goes to every browser the recipient enabled
// (webpush/service.ts does the sending, the key handling and the removal of expired subscriptions).

import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../types.js';
import { renderWebPush } from '../prepare.js';
import type { WebPushService } from '../webpush/service.js';

export function createWebPushMethod(service: WebPushService): DeliveryMethod {
  return {
    name: 'webpush',
    async deliver(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult> {
      try {
        return await service.send(msg.payload.user_id, renderWebPush(msg), signal);
      } catch (err) {
        // A key that cannot be read or a database error: worth another attempt.
        return { ok: false, retryable: true, error: `webpush: ${(err as Error).message}` };
      }
    },
    async close() {
      service.close();
    },
  };
}

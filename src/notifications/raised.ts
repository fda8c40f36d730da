import { channel } from 'node:diagnostics_channel';

/**
 * Every notification raised (handed to the enqueuer, or a group/digest message written by the
 * grouping release) is published on this diagnostics channel, synchronously at the call, so an
 * observer sees the caller on the stack. Nothing is published without a subscriber; the test
 * suite subscribes to check that every catalogue template is raised by a real event.
 */
export const RAISED_CHANNEL = 'herald:notifications:raised';

export interface RaisedEvent {
  templateIds: string[];
  via: 'enqueue' | 'grouping';
}

const ch = channel(RAISED_CHANNEL);

export function publishRaised(templateIds: Iterable<string>, via: RaisedEvent['via']): void {
  if (ch.hasSubscribers) ch.publish({ templateIds: [...new Set(templateIds)], via } satisfies RaisedEvent);
}

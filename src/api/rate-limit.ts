import { HttpError } from './errors.js';

/** A fixed one-minute window per key; small, in-process, and enough for abuse protection. */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private lastSweep = Date.now();

  constructor(
    private readonly perMinute: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Throws 429 with Retry-After when the key is over its limit. */
  hit(key: string, message = 'You have been rate limited. Try again later.'): void {
    if (this.perMinute <= 0) return;
    const now = Date.now();
    if (now - this.lastSweep > this.windowMs) {
      for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
      this.lastSweep = now;
    }
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, w);
    }
    w.count++;
    if (w.count > this.perMinute) {
      const retry = Math.max(1, Math.ceil((w.resetAt - now) / 1000));
      throw new HttpError(429, message, `Retry after ${retry} seconds.`, undefined, { 'retry-after': String(retry) });
    }
  }
}

// A clock and scheduler that move only when the test says so: timers armed through it fire in
// due order as advance() passes their time. Pair `clock.now` with `clock.scheduler`.

import type { Scheduler } from '../../src/notifications/dispatch/scheduler.js';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class ManualClock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start: Date | number = Date.now()) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }

  readonly now = (): Date => new Date(this.t);

  readonly scheduler: Scheduler = {
    setTimeout: (fn, ms) => {
      const timer = { id: ++this.seq, at: this.t + Math.max(0, ms), fn };
      this.timers.push(timer);
      return timer.id;
    },
    clearTimeout: (id) => {
      this.timers = this.timers.filter((x) => x.id !== id);
    },
  };

  /** Armed timers' due times, ascending (ms since the epoch). */
  get pending(): number[] {
    return this.timers.map((x) => x.at).sort((a, b) => a - b);
  }

  /** Moves time forward by ms, firing every timer that falls due (timers armed meanwhile included). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
}

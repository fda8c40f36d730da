/** A background service the server starts and stops with itself. */
export interface Service {
  start(): Promise<void> | void;
  /** Graceful: finish in-flight work and flush results. */
  stop(): Promise<void>;
}

/** Where a service reads the time; tests inject their own to move it without sleeping. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

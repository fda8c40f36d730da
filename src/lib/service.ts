/** A background service the server starts and stops with itself. */
export interface Service {
  start(): Promise<void> | void;
  /** Graceful: finish in-flight work and flush results. */
  stop(): Promise<void>;
}

/**
 * Starts services one after another, with a turn of the event loop before each: on PGlite a
 * service's first statements (its plans, the catalogue caches) run on this thread and their awaits
 * are microtasks, so without the turns no request (not even /healthz) was answered until every
 * service had started (docs/performance.md, 24.5c).
 */
export async function startInTurn(services: Iterable<Service>): Promise<void> {
  for (const s of services) {
    await new Promise((resolve) => setImmediate(resolve));
    await s.start();
  }
}

/** Where a service reads the time; tests inject their own to move it without sleeping. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

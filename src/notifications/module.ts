import type { AppContext } from '../server/context.js';
import type { Module } from '../server/server.js';

/** The notification engine's routes and background services. */
export function notificationsModule(_ctx: AppContext): Module {
  return {};
}

import type { AppContext } from '../server/context.js';
import type { Module } from '../server/server.js';
import { otpRoutes } from '../api/routes/otp.js';

/** Authentication features beyond login: password reset by one-time passcode. */
export function authModule(_ctx: AppContext): Module {
  return { routes: { public: otpRoutes } };
}

import type { FastifyInstance } from 'fastify';
import { otpRoutes } from './routes/otp.js';
import { publicUserRoutes, userRoutes, type UserRouteServices } from './routes/users.js';

export type { UserRouteServices };

/** The users and authentication routes, for server/ to register in the public and the authenticated scope. */
export function userApi(services: UserRouteServices): {
  public: (app: FastifyInstance) => Promise<void>;
  authed: (app: FastifyInstance) => Promise<void>;
} {
  return {
    public: async (app) => {
      await publicUserRoutes(app, services);
      await otpRoutes(app, services.auth);
    },
    authed: (app) => userRoutes(app, services),
  };
}

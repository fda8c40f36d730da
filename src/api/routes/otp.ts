import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../../auth/service.js';
import { clientAddressOf } from '../auth.js';
import { errors, NoContent } from '../../contract/common.js';
import { ChangePasswordWithOneTimePasscode as ChangePassword, RequestOneTimePasscode as RequestOtp } from '../../contract/users.js';

/**
 * Password reset by one-time passcode (reference §8f): anyone may ask for a code by e-mail, and
 * whoever holds the code may set a new password. Neither endpoint tells whether an e-mail is known.
 */
export async function otpRoutes(app: FastifyInstance, auth: AuthService): Promise<void> {
  app.post<{ Body: Static<typeof RequestOtp> }>(
    '/users/otp/request',
    { schema: { tags: ['Authorization'], body: RequestOtp, response: { 204: NoContent, ...errors(400, 403, 429, 503) } } },
    async (req, reply) => {
      await auth.requestPasscode({ email: req.body.email, clientAddress: clientAddressOf(req) });
      return reply.status(204).send();
    },
  );

  app.post<{ Body: Static<typeof ChangePassword> }>(
    '/users/otp/change-password',
    { schema: { tags: ['Authorization'], body: ChangePassword, response: { 204: NoContent, ...errors(400, 403, 429) } } },
    async (req, reply) => {
      const { email, password, one_time_passcode: code } = req.body;
      await auth.changePasswordWithPasscode({ email, password, code, clientAddress: clientAddressOf(req) });
      return reply.status(204).send();
    },
  );
}

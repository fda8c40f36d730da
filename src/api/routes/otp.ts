import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { generatePasscode, hashPasscode, lockPasscode, storePasscode, verifyPasscode } from '../../auth/otp.js';
import { hashPassword, validatePassword, verifyPassword } from '../../auth/passwords.js';
import { deleteApiKeysByUser } from '../../auth/sessions.js';
import * as users from '../../platform/users/queries.js';
import { TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE } from '../../notifications/templates/catalogue.js';
import { badRequest, forbidden } from '../errors.js';
import { errors, NoContent } from '../../contract/common.js';
import { ChangePasswordWithOneTimePasscode as ChangePassword, RequestOneTimePasscode as RequestOtp } from '../../contract/users.js';
import { RateLimiter } from '../rate-limit.js';

const INCORRECT = 'Incorrect email or one-time passcode.';
export const OTP_CREATED_BY = 'change-password-with-one-time-passcode';

/** Only people who log in with a password (not system, not suspended) get or use a passcode. */
const eligible = (u: users.UserRow | undefined): u is users.UserRow =>
  !!u && !u.is_system && u.login_type === 'password' && u.status !== 'suspended';

/**
 * Password reset by one-time passcode (reference §8f): anyone may ask for a code by e-mail, and
 * whoever holds the code may set a new password. Neither endpoint tells whether an e-mail is known.
 */
export async function otpRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const { db, config } = ctx;
  const limiter = new RateLimiter(config.auth.loginRateLimit);

  const guard = (ip: string) => {
    limiter.hit(ip);
    if (config.auth.disablePasswordAuth) throw forbidden('Password authentication is disabled.');
  };

  app.post<{ Body: Static<typeof RequestOtp> }>(
    '/users/otp/request',
    { schema: { tags: ['Authorization'], body: RequestOtp, response: { 204: NoContent, ...errors(400, 403, 429) } } },
    async (req, reply) => {
      guard(req.ip);
      try {
        const found = await users.getUserByEmail(db, req.body.email);
        const user = eligible(found) ? found : undefined;
        // The same work whatever the e-mail: generate, hash and store (a no-op without a user).
        const code = generatePasscode();
        const hashed = hashPasscode(code);
        const expiresAt = new Date(Date.now() + config.auth.oneTimePasscodeValidity);
        await db.tx(async (t) => {
          await storePasscode(t, user?.id ?? null, hashed, expiresAt);
          if (!user) return;
          await ctx.enqueuer.enqueueMany(
            [{
              userId: user.id,
              templateId: TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
              labels: { one_time_passcode: code },
              data: null,
              createdBy: OTP_CREATED_BY,
              targets: [user.id],
            }],
            t,
          );
        });
        req.log.info({ user_id: user?.id, email_known: !!user }, 'one-time passcode requested');
      } catch (err) {
        // Never an error answer: it would tell a known address from an unknown one.
        req.log.error({ err }, 'one-time passcode request failed');
      }
      return reply.status(204).send();
    },
  );

  app.post<{ Body: Static<typeof ChangePassword> }>(
    '/users/otp/change-password',
    { schema: { tags: ['Authorization'], body: ChangePassword, response: { 204: NoContent, ...errors(400, 403, 429) } } },
    async (req, reply) => {
      guard(req.ip);
      const { email, password, one_time_passcode: code } = req.body;
      const problem = validatePassword(password);
      if (problem) throw badRequest('Invalid password.', problem, [{ field: 'password', detail: problem }]);

      const found = await users.getUserByEmail(db, email);
      const user = eligible(found) ? found : undefined;
      const stored = user?.hashed_one_time_passcode ?? null;
      const matches = verifyPasscode(code.trim(), stored);
      const expired = !user?.one_time_passcode_expires_at || user.one_time_passcode_expires_at.getTime() <= Date.now();
      if (!user || !matches || expired) {
        req.log.info(
          { user_id: user?.id, email_known: !!user, reason: !user ? 'no user' : !stored ? 'none requested' : !matches ? 'wrong code' : 'expired' },
          'failed password change with one-time passcode',
        );
        throw badRequest(INCORRECT);
      }
      if (await verifyPassword(password, Buffer.from(user.hashed_password).toString())) {
        throw badRequest('New password cannot match old password.');
      }
      const hashed = await hashPassword(password);
      const changed = await db.tx(async (t) => {
        // Single use: only if the code we checked is still the stored one (no concurrent reset).
        const current = await lockPasscode(t, user.id);
        if (!current || !stored || !current.equals(Buffer.from(stored))) return false;
        await users.updateUserHashedPassword(t, user.id, hashed);
        await deleteApiKeysByUser(t, user.id);
        return true;
      });
      if (!changed) {
        req.log.info({ user_id: user.id, reason: 'already used' }, 'failed password change with one-time passcode');
        throw badRequest(INCORRECT);
      }
      req.log.info({ user_id: user.id }, 'password changed with one-time passcode; sessions revoked');
      return reply.status(204).send();
    },
  );
}

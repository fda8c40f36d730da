import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/database.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { Conflict, Forbidden, Invalid, Unauthorized, Unavailable } from '../lib/errors.js';
import { systemClock, type Clock } from '../lib/service.js';
import type { Enqueuer } from '../notifications/enqueue.js';
import { TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE } from '../notifications/templates/catalogue.js';
import { getUserByEmail, getUserById, touchLastSeen, updateUserHashedPassword, type UserRow } from './users/queries.js';
import type { Actor } from '../access/actor.js';
import { generatePasscode, hashPasscode, verifyPasscode } from './otp.js';
import { checkPassword, hashPassword, verifyPassword } from './passwords.js';
import * as q from './queries.js';
import type { RateLimiter } from './rate-limit.js';
import { parseToken, secretMatches } from '../access/tokens.js';
import { createApiKey } from './sessions.js';

export type AuthConfig = Config['auth'];

export const OTP_CREATED_BY = 'change-password-with-one-time-passcode';
const INCORRECT_LOGIN = 'Incorrect email or password.';
const INCORRECT_PASSCODE = 'Incorrect email or one-time passcode.';
export const PASSCODE_UNDELIVERABLE =
  'Password reset e-mails cannot be sent: e-mail is not configured on this deployment. Ask an administrator to reset your password.';
const PASSWORD_AUTH_DISABLED = 'Password authentication is disabled.';
/** Token scopes Herald can honour. The reference's narrower `application_connect` is refused, not widened. */
export const TOKEN_SCOPES = ['all'] as const;
/** Passcode e-mails one account may be sent per passcode validity (whatever addresses ask). */
export const PASSCODES_PER_ACCOUNT = 3;

/** Resolves a session or API token to its caller, or throws Unauthorized. */
export interface Authenticator {
  authenticate(token: string | undefined): Promise<Actor>;
}

export interface AuthService extends Authenticator {
  /** Password login from `clientAddress`; a session token and its lifetime. */
  login(input: { email: string; password: string; clientAddress: string }): Promise<{ token: string; maxAgeSeconds: number }>;
  logout(actor: Actor): Promise<void>;
  /** An API token for `target` (the caller, or anyone for an owner). `lifetimeNs` as the reference's Go duration. */
  createToken(actor: Actor, target: UserRow, input: { lifetimeNs?: number; scope?: string; tokenName?: string }): Promise<string>;
  /** Password reset, step one: e-mails a passcode to an eligible account; silent about everything else. */
  requestPasscode(input: { email: string; clientAddress: string }): Promise<void>;
  /** Password reset, step two: sets the password if the passcode is the stored, unexpired one; revokes every session. */
  changePasswordWithPasscode(input: { email: string; password: string; code: string; clientAddress: string }): Promise<void>;
}

export interface AuthDeps {
  db: Database;
  log: Logger;
  limiter: RateLimiter;
  enqueuer: Pick<Enqueuer, 'enqueueMany'>;
  config: AuthConfig;
  clock?: Clock;
  /** Whether a password-reset code can be delivered (e-mail or a webhook is configured); default true. */
  passcodeDeliverable?: boolean;
}

/** Only people who log in with a password (not system, not suspended) get or use a passcode. */
const eligible = (u: UserRow | undefined): u is UserRow =>
  !!u && !u.is_system && u.login_type === 'password' && u.status !== 'suspended';


/** The reference's message for every request whose session cannot be used. */
export const SIGNED_OUT = 'You are signed out or your session has expired. Please sign in again to continue.';

export function createAuthService(deps: AuthDeps): AuthService {
  const { db, log, config } = deps;
  const clock = deps.clock ?? systemClock;
  const loginLimit = deps.limiter.rule('login', config.loginRateLimit);
  // Both reset endpoints share one bucket per address; the e-mails also have one per account.
  const resetLimit = deps.limiter.rule('password_reset', config.loginRateLimit);
  const passcodesPerAccount = deps.limiter.rule('password_reset_account', config.loginRateLimit > 0 ? PASSCODES_PER_ACCOUNT : 0, {
    windowMs: Math.max(60_000, config.oneTimePasscodeValidity),
  });
  const touched = new Map<string, number>();

  const passwordAuth = () => {
    if (config.disablePasswordAuth) throw new Forbidden(PASSWORD_AUTH_DISABLED);
  };

  const mintKey = async (opts: Parameters<typeof createApiKey>[1]) => (await createApiKey(db, opts)).token;

  return {
    async authenticate(token) {
      // The reference's texts: one message for every failed sign-in, the detail says which.
      if (!token) throw new Unauthorized(SIGNED_OUT, `Cookie "coder_session_token" or query parameter must be provided.`);
      const parsed = parseToken(token);
      if (!parsed) throw new Unauthorized(SIGNED_OUT, 'Invalid API key format.');
      const key = await q.getApiKey(db, parsed.id);
      if (!key) throw new Unauthorized(SIGNED_OUT, 'API key is invalid.');
      if (!secretMatches(parsed.secret, key.hashed_secret)) throw new Unauthorized(SIGNED_OUT, 'API key secret is invalid.');
      if (key.expires_at.getTime() <= Date.now()) throw new Unauthorized(SIGNED_OUT, 'API key expired.');
      const user = await getUserById(db, key.user_id);
      if (!user) throw new Unauthorized(SIGNED_OUT, 'The user of this key no longer exists.');
      if (user.status === 'suspended') throw new Unauthorized(`User is not active (status = "suspended"). Contact an admin to reactivate your account.`);
      // Bookkeeping at most once a minute per key (the columns have minute resolution anyway), and
      // never slowing or failing the request.
      const now = Date.now();
      if ((touched.get(key.id) ?? 0) < now - 60_000) {
        if (touched.size > 10_000) touched.clear();
        touched.set(key.id, now);
        void q.touchApiKey(db, key.id).catch(() => undefined);
        void touchLastSeen(db, user.id).catch(() => undefined);
      }
      return { user, key, roles: user.rbac_roles };
    },

    async login({ email, password, clientAddress }) {
      await loginLimit.hit(clientAddress);
      passwordAuth();
      const user = await getUserByEmail(db, email);
      const stored = user && user.login_type === 'password' && !user.is_system ? Buffer.from(user.hashed_password).toString() : null;
      // Always verify, even without a user, so the answer takes as long either way.
      const ok = await verifyPassword(password, stored);
      // A suspended account gets the wrong password's answer: the right password tells nothing.
      if (!user || !ok || user.status === 'suspended') {
        log.info({ email_known: !!user, suspended: user?.status === 'suspended' || undefined, client_address: clientAddress }, 'failed login');
        throw new Unauthorized(INCORRECT_LOGIN);
      }
      const token = await mintKey({ userId: user.id, loginType: 'password', lifetimeMs: config.sessionDuration });
      return { token, maxAgeSeconds: Math.floor(config.sessionDuration / 1000) };
    },

    async logout(actor) {
      await q.deleteApiKey(db, actor.key.id);
    },

    async createToken(actor, target, input) {
      if (target.id !== actor.user.id && !actor.roles.includes('owner')) throw new Forbidden();
      if (target.is_system) throw new Forbidden('System users cannot have tokens.');
      const scope = input.scope || 'all';
      if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) {
        throw new Invalid('Failed to create token.', `scope "${scope}" is not supported`, [
          { field: 'scope', detail: `only ${TOKEN_SCOPES.map((s) => `"${s}"`).join(', ')} is supported` },
        ]);
      }
      // lifetime is nanoseconds on the wire, as the reference's Go duration.
      const lifetimeMs = input.lifetimeNs ? Math.floor(input.lifetimeNs / 1e6) : 30 * 24 * 3600 * 1000;
      if (lifetimeMs > config.maxTokenLifetime) {
        throw new Invalid('Failed to create token.', `lifetime must be less than ${config.maxTokenLifetime / 3_600_000}h`, [
          { field: 'lifetime', detail: 'exceeds the maximum token lifetime' },
        ]);
      }
      if (lifetimeMs < 1000) throw new Invalid('Failed to create token.', 'lifetime must be at least one second');
      try {
        return await mintKey({ userId: target.id, loginType: 'token', lifetimeMs, tokenName: input.tokenName || `token-${Date.now()}`, scope });
      } catch (err) {
        if (isUniqueViolation(err)) throw new Conflict(`A token with name "${input.tokenName}" already exists.`);
        throw err;
      }
    },

    async requestPasscode({ email, clientAddress }) {
      await resetLimit.hit(clientAddress);
      passwordAuth();
      try {
        const found = await getUserByEmail(db, email);
        const user = eligible(found) ? found : undefined;
        if (user) {
          // Past the per-account cap nothing is stored or sent (the last code e-mailed stays valid);
          // the caller is answered alike.
          try {
            await passcodesPerAccount.hit(user.id);
          } catch {
            log.info({ user_id: user.id, client_address: clientAddress }, 'one-time passcode not sent: too many for this account');
            return;
          }
        }
        // The same work whatever the e-mail: generate, hash and store (a no-op without a user).
        const code = generatePasscode();
        const hashed = hashPasscode(code);
        const expiresAt = new Date(clock().getTime() + config.oneTimePasscodeValidity);
        await db.tx(async (t) => {
          await q.storePasscode(t, user?.id ?? null, hashed, expiresAt);
          if (!user) return;
          await deps.enqueuer.enqueueMany(
            [
              {
                userId: user.id,
                templateId: TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
                labels: { one_time_passcode: code },
                data: null,
                createdBy: OTP_CREATED_BY,
                targets: [user.id],
              },
            ],
            t,
          );
        });
        log.info({ user_id: user?.id, email_known: !!user, client_address: clientAddress }, 'one-time passcode requested');
      } catch (err) {
        // Never an error answer: it would tell a known address from an unknown one.
        log.error({ err }, 'one-time passcode request failed');
      }
      // A deployment-wide fact, said after the same work for every address (the failed delivery is
      // in the admin's history): whoever asks learns nothing about the account.
      if (deps.passcodeDeliverable === false) throw new Unavailable(PASSCODE_UNDELIVERABLE);
    },

    async changePasswordWithPasscode({ email, password, code, clientAddress }) {
      await resetLimit.hit(clientAddress);
      passwordAuth();
      checkPassword(password);
      const found = await getUserByEmail(db, email);
      const user = eligible(found) ? found : undefined;
      const stored = user?.hashed_one_time_passcode ?? null;
      const matches = verifyPasscode(code.trim(), stored);
      const expired = !user?.one_time_passcode_expires_at || user.one_time_passcode_expires_at.getTime() <= clock().getTime();
      if (!user || !matches || expired) {
        log.info(
          {
            user_id: user?.id,
            email_known: !!user,
            client_address: clientAddress,
            reason: !user ? 'no user' : !stored ? 'none requested' : !matches ? 'wrong code' : 'expired',
          },
          'failed password change with one-time passcode',
        );
        throw new Invalid(INCORRECT_PASSCODE);
      }
      if (await verifyPassword(password, Buffer.from(user.hashed_password).toString())) {
        throw new Invalid('New password cannot match old password.');
      }
      const hashed = await hashPassword(password);
      const changed = await db.tx(async (t) => {
        // Single use: only if the code we checked is still the stored one (no concurrent reset).
        const current = await q.lockPasscode(t, user.id);
        if (!current || !stored || !current.equals(Buffer.from(stored))) return false;
        await updateUserHashedPassword(t, user.id, hashed);
        await q.deleteApiKeysByUser(t, user.id);
        return true;
      });
      if (!changed) {
        log.info({ user_id: user.id, reason: 'already used', client_address: clientAddress }, 'failed password change with one-time passcode');
        throw new Invalid(INCORRECT_PASSCODE);
      }
      log.info({ user_id: user.id, client_address: clientAddress }, 'password changed with one-time passcode; sessions revoked');
    },
  };
}

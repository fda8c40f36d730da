import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { actorOf } from '../auth.js';
import { badRequest, forbidden, HttpError, type Validation } from '../errors.js';
import { errors } from '../../contract/common.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from '../../notifications/templates/catalogue.js';

/** Limits measured in bytes of UTF-8, as the reference measures them (Go's len). */
export const CUSTOM_TITLE_MAX_BYTES = 120;
export const CUSTOM_MESSAGE_MAX_BYTES = 2000;

/** Go's unicode.IsSpace set, which strings.TrimSpace trims (JavaScript's \s also has U+FEFF). */
const GO_BLANK = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$/;

const isBlank = (s: string): boolean => GO_BLANK.test(s);

interface Failure {
  detail: string;
  validations: Validation[];
}

/** The reference's validation, in its order; the first failure is the detail, every failing field a validation. */
export function validateCustomContent(body: unknown): Failure | undefined {
  const b = body as { content?: unknown } | null | undefined;
  const content = b && typeof b === 'object' ? b.content : undefined;
  if (content === undefined || content === null || typeof content !== 'object' || Array.isArray(content)) {
    const detail = 'content is required';
    return { detail, validations: [{ field: 'content', detail }] };
  }
  const c = content as { title?: unknown; message?: unknown };
  const title = typeof c.title === 'string' ? c.title : '';
  const message = typeof c.message === 'string' ? c.message : '';
  const validations: Validation[] = [];
  let detail: string | undefined;
  const blankTitle = isBlank(title);
  const blankMessage = isBlank(message);
  if (blankTitle || blankMessage) {
    detail = "provide a non-empty 'content.title' and 'content.message'";
    if (blankTitle) validations.push({ field: 'content.title', detail });
    if (blankMessage) validations.push({ field: 'content.message', detail });
  }
  if (Buffer.byteLength(title, 'utf8') > CUSTOM_TITLE_MAX_BYTES) {
    const d = `'content.title' must be less than ${CUSTOM_TITLE_MAX_BYTES} characters`;
    detail ??= d;
    validations.push({ field: 'content.title', detail: d });
  }
  if (Buffer.byteLength(message, 'utf8') > CUSTOM_MESSAGE_MAX_BYTES) {
    const d = `'content.message' must be less than ${CUSTOM_MESSAGE_MAX_BYTES} characters`;
    detail ??= d;
    validations.push({ field: 'content.message', detail: d });
  }
  return detail ? { detail, validations } : undefined;
}

/** Go's time.Time JSON for the current minute: RFC 3339 in UTC without fractional seconds. */
export function minuteBucket(d: Date): string {
  const t = new Date(Math.floor(d.getTime() / 60_000) * 60_000);
  return t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** POST /notifications/custom: a user sends a notification to themselves (scripts, long tasks). */
export async function customNotificationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const limiter = ctx.limiter.rule('custom_notification', ctx.config.notifications.customRateLimit);

  app.post(
    '/notifications/custom',
    {
      schema: {
        tags: ['Notifications'],
        summary: 'Send yourself a custom notification',
        // Validated by hand below so the answers match the reference's; documented here.
        body: Type.Unknown({
          description:
            '{"content":{"title":"…","message":"…"}}: title at most 120 and message at most 2000 bytes of UTF-8, both non-blank. The recipient is always the caller.',
        }),
        response: { ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      await limiter.hit(actor.user.id, 'You are sending custom notifications too fast. Try again later.');
      const failure = validateCustomContent(req.body);
      if (failure) throw badRequest('Invalid request body', failure.detail, failure.validations);
      if (actor.user.is_system) throw forbidden('Forbidden', 'System users cannot send custom notifications.');
      const { title, message } = (req.body as { content: { title: string; message: string } }).content;
      try {
        // Inhibited (the user disabled the template) or a duplicate within the minute: still 204.
        await ctx.enqueuer.enqueue({
          userId: actor.user.id,
          templateId: TEMPLATE_CUSTOM_NOTIFICATION,
          labels: { custom_title: title, custom_message: message },
          data: { dedupe_bypass_ts: minuteBucket(new Date()) },
          createdBy: actor.user.id,
        });
      } catch (err) {
        req.log.error({ err }, 'custom notification enqueue failed');
        throw new HttpError(500, 'Failed to send custom notification', (err as Error).message);
      }
      return reply.status(204).send();
    },
  );
}

import type { Actor } from '../access/actor.js';
import { Forbidden, Invalid, type FieldError } from '../lib/errors.js';
import type { Clock } from '../lib/service.js';
import type { Enqueuer } from './enqueue.js';
import { minuteBucket } from './dedupe.js';
import { TEMPLATE_CUSTOM_NOTIFICATION } from './templates/catalogue.js';

// Limits in bytes of UTF-8, as the reference measures them (Go's len); declared in the API contract.
import { CUSTOM_MESSAGE_MAX_BYTES, CUSTOM_TITLE_MAX_BYTES } from '../contract/notifications.js';
export { CUSTOM_MESSAGE_MAX_BYTES, CUSTOM_TITLE_MAX_BYTES };

/** Go's unicode.IsSpace set, which strings.TrimSpace trims (JavaScript's \s also has U+FEFF). */
const GO_BLANK = /^[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$/;
/** NUL (PostgreSQL text cannot hold it) or a UTF-16 surrogate without its pair (no UTF-8 for it). */
const UNSTORABLE = /\u0000|\p{Cs}/u;

const isBlank = (s: string): boolean => GO_BLANK.test(s);

export interface CustomContentFailure {
  detail: string;
  validations: FieldError[];
}

/** The reference's validation, in its order; the first failure is the detail, every failing field a validation. */
export function validateCustomContent(body: unknown): CustomContentFailure | undefined {
  const b = body as { content?: unknown } | null | undefined;
  const content = b && typeof b === 'object' ? b.content : undefined;
  if (content === undefined || content === null || typeof content !== 'object' || Array.isArray(content)) {
    const detail = 'content is required';
    return { detail, validations: [{ field: 'content', detail }] };
  }
  const c = content as { title?: unknown; message?: unknown };
  const title = typeof c.title === 'string' ? c.title : '';
  const message = typeof c.message === 'string' ? c.message : '';
  const validations: FieldError[] = [];
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
  // Herald's own check (the reference leaves these to the database, which fails).
  for (const [field, value] of [['content.title', title], ['content.message', message]] as const) {
    if (!UNSTORABLE.test(value)) continue;
    const d = `'${field}' must not contain NUL characters or unpaired surrogates (\\u0000, \\ud800-\\udfff)`;
    detail ??= d;
    validations.push({ field, detail: d });
  }
  return detail ? { detail, validations } : undefined;
}

/** Custom notifications: a user sends one to themselves (scripts, long tasks). */
export interface CustomNotifications {
  /** Validates the request body ({content: {title, message}}) and enqueues it for the actor. */
  send(actor: Actor, body: unknown): Promise<void>;
}

export function createCustomNotifications(deps: { enqueuer: Enqueuer; clock: Clock }): CustomNotifications {
  return {
    async send(actor, body) {
      const failure = validateCustomContent(body);
      if (failure) throw new Invalid('Invalid request body', failure.detail, failure.validations);
      if (actor.user.is_system) throw new Forbidden('Forbidden', 'System users cannot send custom notifications.');
      const { title, message } = (body as { content: { title: string; message: string } }).content;
      // Inhibited (the user disabled the template) or a duplicate within the minute: still sent, as far as the caller knows.
      await deps.enqueuer.enqueueMany([
        {
          userId: actor.user.id,
          templateId: TEMPLATE_CUSTOM_NOTIFICATION,
          labels: { custom_title: title, custom_message: message },
          data: { dedupe_bypass_ts: minuteBucket(deps.clock()) },
          createdBy: actor.user.id,
        },
      ]);
    },
  };
}

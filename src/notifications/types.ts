// Shapes shared by enqueue, dispatch, render and the delivery methods.

/** `destination`: every active destination the recipient added themselves (destinations/service.ts). */
export type NotificationMethod = 'smtp' | 'webhook' | 'inbox' | 'slack' | 'teams' | 'discord' | 'webpush' | 'destination';
export const NOTIFICATION_METHODS: readonly NotificationMethod[] = ['smtp', 'webhook', 'inbox', 'slack', 'teams', 'discord', 'webpush', 'destination'];
/** The chat channels whose destination is a deployment option. */
export const CHANNEL_METHODS = ['slack', 'teams', 'discord'] as const;

export type MessageStatus =
  | 'pending'
  | 'leased'
  | 'sent'
  | 'permanent_failure'
  | 'temporary_failure'
  | 'unknown'
  | 'inhibited';

export interface Action {
  label: string;
  url: string;
}

/** The reference's MessagePayload, version 1.2: stored in the row, sent in webhooks, the template context. */
export interface MessagePayload {
  _version: '1.2';
  notification_name: string;
  notification_template_id: string;
  user_id: string;
  user_email: string;
  user_name: string;
  user_username: string;
  actions: Action[];
  labels: Record<string, string>;
  data: Record<string, unknown> | null;
  targets: string[] | null;
}

/** Values available to templates as functions: {{ base_url }}, {{ app_name }} … */
export interface TemplateHelpers {
  base_url: string;
  current_year: string;
  app_name: string;
  logo_url: string;
}

/** A message ready to hand to a delivery method: title and body already rendered to Markdown. */
export interface PreparedMessage {
  id: string;
  templateId: string;
  payload: MessagePayload;
  titleMarkdown: string;
  bodyMarkdown: string;
  helpers: TemplateHelpers;
  /** A critical template: its e-mail has no "stop receiving" link. */
  critical?: boolean;
}

export type DeliveryResult =
  | { ok: true }
  | {
      ok: false;
      /** Retryable failures become temporary_failure until attempts run out; others permanent_failure. */
      retryable: boolean;
      /** Recorded as status_reason: say why, never include secrets. */
      error: string;
      /** A receiver's Retry-After, honoured as the earliest next attempt. */
      retryAfterMs?: number;
    };

export interface DeliveryMethod {
  readonly name: NotificationMethod;
  /** Must resolve (never reject) within the signal's lifetime; an aborted delivery resolves retryable. */
  deliver(msg: PreparedMessage, signal: AbortSignal): Promise<DeliveryResult>;
  close?(): Promise<void>;
}

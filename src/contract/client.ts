import type { ErrorResponse, Validation } from './common.js';
import { API_PREFIX, fillPath, type EndpointKey, type Input, type Output } from './endpoints.js';

// The one API client, shared by the dashboard and the CLI: a small fetch wrapper typed by the
// endpoint table, so a call's input and answer are the contract's types.

/** A call the server answered with an error status. */
export class ApiError extends Error {
  readonly detail?: string;
  readonly validations?: Validation[];
  constructor(
    readonly status: number,
    /** The JSON error answer, when there was one. */
    readonly body: Partial<ErrorResponse> | undefined,
    statusText = '',
  ) {
    super(body?.message ?? `${status} ${statusText}`.trim());
    this.name = 'ApiError';
    this.detail = body?.detail;
    this.validations = body?.validations;
  }
}

export interface ClientOptions {
  /** The deployment URL ("https://herald.example.com"); empty for the page's own origin (the dashboard). */
  baseUrl?: string;
  /** A session or API token, sent as Coder-Session-Token; without one the browser's session cookie is used. */
  token?: string;
  /** RequestInit.credentials; the dashboard uses 'same-origin' for the session cookie. */
  credentials?: 'include' | 'omit' | 'same-origin';
  fetch?: typeof fetch;
}

type Loose = { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };
type Args<K extends EndpointKey> = object extends Input<K> ? [input?: Input<K>] : [input: Input<K>];

/** A query string from values; undefined and empty values are left out. */
export function queryString(params: Record<string, unknown> | undefined): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export class ApiClient {
  constructor(readonly options: ClientOptions = {}) {}

  /** The URL of an API path ("/users/me"), absolute when the client has a base URL. */
  url(path: string): string {
    const p = API_PREFIX + path;
    return this.options.baseUrl ? new URL(p, this.options.baseUrl).toString() : p;
  }

  /** Calls an endpoint of the contract, e.g. `call('GET /users/{user}', { params: { user: 'me' } })`. */
  async call<K extends EndpointKey>(key: K, ...[input]: Args<K>): Promise<Output<K>> {
    const space = key.indexOf(' ');
    const method = key.slice(0, space);
    const i = ((input as unknown) ?? {}) as Loose;
    const path = fillPath(key.slice(space + 1), i.params) + queryString(i.query);
    return (await this.send(method, path, i.body)) as Output<K>;
  }

  /** A request by method and path, for what the table does not type. Answers the parsed JSON (undefined when empty). */
  async send(method: string, path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = {};
    // Bytes (POST /files: a template archive) go as they are; everything else as JSON.
    const raw = body instanceof Uint8Array;
    if (body !== undefined) headers['content-type'] = raw ? 'application/x-tar' : 'application/json';
    if (this.options.token) headers['Coder-Session-Token'] = this.options.token;
    const res = await (this.options.fetch ?? fetch)(this.url(path), {
      method,
      headers,
      credentials: this.options.credentials,
      body: body === undefined ? undefined : raw ? (body as unknown as RequestInit['body']) : JSON.stringify(body),
    });
    const text = res.status === 204 || res.status === 304 ? '' : await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok && res.status !== 304) {
      const e = data && typeof data === 'object' && !Array.isArray(data) ? (data as Partial<ErrorResponse>) : undefined;
      throw new ApiError(res.status, e, res.statusText);
    }
    return data;
  }
}

/** One line that says what went wrong, from an API error: message, detail and each validation. */
export function describeApiError(err: ApiError): string {
  let s = err.body?.message ?? `HTTP ${err.status}`;
  if (err.detail) s += `: ${err.detail}`;
  if (err.validations?.length) s += ` (${err.validations.map((v) => `${v.field}: ${v.detail}`).join('; ')})`;
  return `${s} [${err.status}]`;
}

import { readSession } from './session.js';

export class CliError extends Error {}

export interface ApiErrorBody {
  message?: string;
  detail?: string;
  validations?: { field: string; detail: string }[];
}

/** One line that says what went wrong, from an API error answer. */
export function describeApiError(status: number, body: ApiErrorBody | undefined): string {
  let s = body?.message ?? `HTTP ${status}`;
  if (body?.detail) s += `: ${body.detail}`;
  if (body?.validations?.length) s += ` (${body.validations.map((v) => `${v.field}: ${v.detail}`).join('; ')})`;
  return `${s} [${status}]`;
}

export class ApiClient {
  constructor(
    readonly url: string,
    readonly token?: string,
  ) {}

  static fromSession(): ApiClient {
    const url = process.env.HERALD_URL;
    const token = process.env.HERALD_SESSION_TOKEN;
    if (url && token) return new ApiClient(url, token);
    const s = readSession();
    if (!s) throw new CliError('You are not logged in. Run "herald login <url>" first.');
    return new ApiClient(url || s.url, token || s.token);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(`/api/v2${path}`, this.url), {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.token ? { 'Coder-Session-Token': this.token } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new CliError(`cannot reach ${this.url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok && res.status !== 304) throw new ApiError(res.status, json as ApiErrorBody);
    return json as T;
  }
}

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | undefined,
  ) {
    super(describeApiError(status, body));
  }
}

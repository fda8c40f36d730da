import { readSession } from './session.js';
import {
  ApiClient as ContractClient,
  ApiError as ContractApiError,
  describeApiError,
  type EndpointKey,
  type ErrorResponse,
  type Input,
  type Output,
} from '../../contract/index.js';

export class CliError extends Error {}

/** An error answer, as the CLI prints it: message, detail, validations and the status. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: Partial<ErrorResponse> | undefined,
  ) {
    super(describeApiError(new ContractApiError(status, body)));
  }
}

type Args<K extends EndpointKey> = object extends Input<K> ? [input?: Input<K>] : [input: Input<K>];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user's id from a username, e-mail, id or "me" (as the reference's --user flags take). */
export async function resolveUserId(api: ApiClient, user: string): Promise<string> {
  if (UUID.test(user)) return user;
  if (user.includes('@')) {
    const r = await api.call('GET /users', { query: { q: user } });
    const u = r.users.find((x) => x.email.toLowerCase() === user.toLowerCase());
    if (!u) throw new CliError(`no user with e-mail "${user}"`);
    return u.id;
  }
  return (await api.call('GET /users/{user}', { params: { user } })).id;
}

/** The contract's typed client, with the CLI's errors: an error answer or an unreachable server is a CliError. */
export class ApiClient {
  private readonly client: ContractClient;

  constructor(
    readonly url: string,
    readonly token?: string,
  ) {
    this.client = new ContractClient({ baseUrl: url, token });
  }

  static fromSession(): ApiClient {
    const url = process.env.HERALD_URL;
    const token = process.env.HERALD_SESSION_TOKEN;
    if (url && token) return new ApiClient(url, token);
    const s = readSession();
    if (!s) throw new CliError('You are not logged in. Run "herald login <url>" first.');
    return new ApiClient(url || s.url, token || s.token);
  }

  /** Calls an endpoint of the contract, e.g. `call('GET /users/{user}', { params: { user } })`. */
  async call<K extends EndpointKey>(key: K, ...args: Args<K>): Promise<Output<K>> {
    try {
      return await (this.client.call as (k: K, ...a: Args<K>) => Promise<Output<K>>)(key, ...args);
    } catch (err) {
      if (err instanceof ContractApiError) {
        // A revoked or expired session: say what to do rather than only "Invalid API key".
        if (err.status === 401 && this.token) throw new CliError(`${describeApiError(err)}\nYour session has ended: run "herald login ${this.url}" to log in again.`);
        throw new ApiError(err.status, err.body);
      }
      const e = err as Error & { cause?: Error };
      throw new CliError(`cannot reach ${this.url}: ${e.cause?.message ?? e.message}`);
    }
  }
}

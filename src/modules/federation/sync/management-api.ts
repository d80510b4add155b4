import { ProviderUnreachable } from '../provider-http';

/** A person's state at the provider, as the local account is brought to it. */
export type RemoteStatus = 'active' | 'suspended' | 'deactivated';

/** A user read from a provider's management API, with claims named as in an ID token. */
export interface RemoteUser {
  /** The provider's id of the user: the `sub` of its ID tokens. */
  id: string;
  status: RemoteStatus;
  /** When the provider last changed the user; an older read never overwrites a newer one. */
  updatedAt: Date;
  /** OIDC claim names (`email`, `name`, `phone_number`, `locale`) and the provider's own attributes. */
  claims: Record<string, unknown>;
}

export interface RemotePage {
  users: RemoteUser[];
  /** Where the next page is read from (an absolute URL or an index), null after the last. */
  next: string | null;
}

/** How Gatehouse reads users from one provider: Okta's API or SCIM 2.0 `/Users`. */
export interface ManagementApi {
  /** Null when the provider has no such user (deleted there). */
  getUser(id: string): Promise<RemoteUser | null>;
  /** One page of every user; `cursor` is a previous page's `next`, or null for the first. */
  listUsers(cursor: string | null): Promise<RemotePage>;
  /** Reads the smallest page there is (one user), to tell whether the API answers the token. */
  probe(): Promise<void>;
}

/** The provider answered with an error of its own (5xx, an unexpected 4xx, a refused token). */
export class ManagementApiError extends Error {
  constructor(
    readonly status: number,
    readonly providerCode: string | null,
  ) {
    super(`management API answered ${status}${providerCode ? ` ${providerCode}` : ''}`);
  }
}

/** Waits for rate limits and gives up after `maxWaits` 429s in a row. */
export interface RateLimitPolicy {
  maxWaits: number;
  /** The longest a 429 is waited out; a longer reset is an error (the job retries later). */
  maxWaitMs: number;
}

export type Fetch = (url: string, init: { headers: Record<string, string> }) => Promise<Response>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A GET to a management API that honours Okta-style rate limits (`X-Rate-Limit-Remaining`,
 * `X-Rate-Limit-Reset` in epoch seconds, measured against the answer's `Date`): a 429 is waited
 * out until the reset and retried, and a spent allowance is waited out before the next call, so
 * that a full sync slows down rather than failing.
 */
export class RateLimitedGet {
  private resumeAt = 0;

  constructor(
    private readonly fetch: Fetch,
    private readonly policy: RateLimitPolicy,
  ) {}

  async get(url: string, headers: Record<string, string>): Promise<Response> {
    for (let waits = 0; ; waits++) {
      const pause = this.resumeAt - Date.now();
      if (pause > 0) await sleep(pause);
      const response = await this.fetch(url, { headers });
      const resetIn = resetDelay(response);
      const remaining = Number(response.headers.get('x-rate-limit-remaining'));
      if (response.status === 429) {
        const wait = resetIn ?? 1000;
        if (waits >= this.policy.maxWaits || wait > this.policy.maxWaitMs) {
          throw new ManagementApiError(429, 'rate_limited');
        }
        this.resumeAt = Date.now() + wait;
        continue;
      }
      if (resetIn !== null && remaining === 0) this.resumeAt = Date.now() + resetIn;
      return response;
    }
  }
}

/** Milliseconds until the rate limit resets, by the provider's clock; null without the header. */
function resetDelay(response: Response): number | null {
  const reset = Number(response.headers.get('x-rate-limit-reset'));
  if (!Number.isFinite(reset) || reset <= 0) return null;
  const date = Date.parse(response.headers.get('date') ?? '');
  const now = Number.isNaN(date) ? Date.now() : date;
  // Okta's SDK adds a second: `Date` is whole seconds too.
  return Math.max(0, reset * 1000 - now + 1000);
}

/** Reads the JSON of a 2xx answer, or throws as the provider failed. */
export async function jsonOf<T>(response: Response, codeField: string): Promise<T> {
  if (response.ok) {
    try {
      return (await response.json()) as T;
    } catch {
      throw new ManagementApiError(response.status, 'invalid_json');
    }
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  const code = body?.[codeField];
  throw new ManagementApiError(response.status, typeof code === 'string' ? code : null);
}

/** True when a failure is the provider's or the network's (try later), not a bad answer. */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof ProviderUnreachable ||
    (error instanceof ManagementApiError && (error.status >= 500 || error.status === 429))
  );
}

import { Inject, Injectable } from '@nestjs/common';
import { KiteConnect } from 'kiteconnect';
import { RateLimiter } from '../../common/throttle/rate-limiter.service';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { BrokerProfile } from './trading-account.entity';

/** A Kite Connect app: the key is public, the secret signs the token exchange. */
export interface BrokerApp {
  apiKey: string;
  apiSecret: string;
}

/** What a successful token exchange gives: the session and who logged in. */
export interface BrokerSession {
  brokerUserId: string;
  accessToken: string;
  publicToken: string;
  profile: BrokerProfile;
}

/**
 * How the broker refused or failed a call, by what Gatehouse does about it:
 * - `token`: TokenException (403), the session or request token is invalid or expired;
 * - `permission`: PermissionException, the app may not do this (any more);
 * - `input`: InputException and the like, a request the broker does not accept;
 * - `rate_limited`: 429, Kite's 10 requests per second, or no turn at that rate came in time;
 * - `unavailable`: no answer, a timeout, or the broker says its systems are down (NetworkException);
 * - `malformed`: an answer that is not Kite's contract (DataException, missing fields).
 */
export type BrokerFailure =
  'token' | 'permission' | 'input' | 'rate_limited' | 'unavailable' | 'malformed';

/** A broker failure. Its message is the broker's error type and message: never a credential. */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';

  constructor(
    readonly failure: BrokerFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The official client rejects with Kite's error body (a plain object, not an Error) and loses the
 * HTTP status; a 429 arrives as a NetworkException whose message says so (EXTERNAL-CONTRACTS §1).
 */
function brokerErrorOf(reason: unknown): BrokerError {
  const body = (typeof reason === 'object' && reason !== null ? reason : {}) as {
    error_type?: unknown;
    message?: unknown;
  };
  const type = typeof body.error_type === 'string' ? body.error_type : 'GeneralException';
  const message = (typeof body.message === 'string' ? body.message : 'no message').slice(0, 200);
  const text = `${type}: ${message}`;
  switch (type) {
    case 'TokenException':
      return new BrokerError('token', text);
    case 'PermissionException':
      return new BrokerError('permission', text);
    case 'InputException':
    case 'UserException':
      return new BrokerError('input', text);
    case 'DataException':
      return new BrokerError('malformed', text);
    case 'NetworkException':
      return new BrokerError(
        /too many requests/i.test(message) ? 'rate_limited' : 'unavailable',
        text,
      );
    default:
      return new BrokerError('unavailable', text);
  }
}

interface KiteProfileData {
  user_id?: unknown;
  user_name?: unknown;
  user_shortname?: unknown;
  email?: unknown;
  user_type?: unknown;
  exchanges?: unknown;
  products?: unknown;
  order_types?: unknown;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function profileOf(data: KiteProfileData, margins: BrokerProfile['margins']): BrokerProfile {
  if (typeof data.user_id !== 'string' || typeof data.user_name !== 'string') {
    throw new BrokerError(
      'malformed',
      'the broker answered a profile without user_id or user_name',
    );
  }
  return {
    name: data.user_name,
    short_name: typeof data.user_shortname === 'string' ? data.user_shortname : data.user_name,
    email: typeof data.email === 'string' && data.email !== '' ? data.email : null,
    user_type: typeof data.user_type === 'string' ? data.user_type : 'individual',
    exchanges: strings(data.exchanges),
    products: strings(data.products),
    order_types: strings(data.order_types),
    margins,
  };
}

function net(segment: unknown): number | null {
  const value = (segment as { net?: unknown } | undefined)?.net;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** How long a call may wait for its turn at the app's rate before it fails as rate-limited. */
const MAX_TURN_WAIT_MS = 10_000;

/**
 * Kite Connect v3 through the official `kiteconnect` client, pointed at KITE_API_URL. A client is
 * made per call: each holds one app and one access token. Kite refuses an app more than 10
 * requests in a second (KITE_RATE_LIMIT_PER_SECOND), whichever user they are for: every call
 * of an app (links, syncs, unlinks) waits for its turn in one pace shared by every instance.
 */
@Injectable()
export class KiteBroker {
  constructor(
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Exchanges a request token (with its checksum, computed by the client) for a session. */
  async exchange(app: BrokerApp, requestToken: string): Promise<BrokerSession> {
    const session = await this.call(app, null, (kite) =>
      kite.generateSession(requestToken, app.apiSecret),
    );
    const data = (session ?? {}) as unknown as KiteProfileData & {
      access_token?: unknown;
      public_token?: unknown;
    };
    if (typeof data.access_token !== 'string' || data.access_token === '') {
      throw new BrokerError('malformed', 'the broker answered a session without access_token');
    }
    const profile = profileOf(data, null);
    return {
      brokerUserId: data.user_id as string,
      accessToken: data.access_token,
      publicToken: typeof data.public_token === 'string' ? data.public_token : '',
      profile,
    };
  }

  /** The user's profile and available margins (`/user/profile`, `/user/margins`). */
  async profile(app: BrokerApp, accessToken: string): Promise<BrokerProfile> {
    const profile = await this.call(app, accessToken, (kite) => kite.getProfile());
    const margins = await this.call(app, accessToken, (kite) => kite.getMargins());
    const segments = (margins ?? {}) as unknown as { equity?: unknown; commodity?: unknown };
    return profileOf(profile ?? {}, {
      equity: net(segments.equity),
      commodity: net(segments.commodity),
    });
  }

  /** Ends the session at the broker (`DELETE /session/token`). */
  async invalidate(app: BrokerApp, accessToken: string): Promise<void> {
    await this.call(app, accessToken, (kite) => kite.invalidateAccessToken(accessToken));
  }

  private async call<T>(
    app: BrokerApp,
    accessToken: string | null,
    work: (kite: InstanceType<typeof KiteConnect>) => Promise<T>,
  ): Promise<T> {
    const { apiUrl, timeoutMs, rateLimitPerSecond } = this.config.tradingAccounts.kite;
    if (!(await this.limiter.pace(`kite:${app.apiKey}`, rateLimitPerSecond, MAX_TURN_WAIT_MS))) {
      throw new BrokerError('rate_limited', 'the app’s calls to the broker are queued too long');
    }
    const kite = new KiteConnect({
      api_key: app.apiKey,
      root: apiUrl,
      timeout: timeoutMs,
      ...(accessToken ? { access_token: accessToken } : {}),
    });
    let result: T;
    try {
      result = await work(kite);
    } catch (reason) {
      throw brokerErrorOf(reason);
    }
    // A 2xx that is not JSON resolves to an error body instead of rejecting.
    if (typeof result === 'object' && result !== null && 'error_type' in result) {
      throw brokerErrorOf(result);
    }
    return result;
  }
}

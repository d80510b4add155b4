import { isIP } from 'node:net';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

/** A URL whose credentials and path decode: the driver would otherwise fail later, obscurely. */
function decodes(url: URL): boolean {
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    decodeURIComponent(url.pathname);
    return true;
  } catch {
    return false;
  }
}

const postgresUrl = z.string().refine(
  (v) => {
    try {
      const url = new URL(v);
      return (
        (url.protocol === 'postgres:' || url.protocol === 'postgresql:') &&
        url.hostname !== '' &&
        decodes(url)
      );
    } catch {
      return false;
    }
  },
  {
    message:
      'must be a postgres:// or postgresql:// URL with a host (percent-encode special characters)',
  },
);

const redisUrl = z.string().refine(
  (v) => {
    try {
      const url = new URL(v);
      return (
        (url.protocol === 'redis:' || url.protocol === 'rediss:') &&
        url.hostname !== '' &&
        decodes(url)
      );
    } catch {
      return false;
    }
  },
  { message: 'must be a redis:// or rediss:// URL with a host' },
);

const origin = z.string().refine(
  (v) => {
    try {
      const url = new URL(v);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === v;
    } catch {
      return false;
    }
  },
  { message: 'must list exact origins such as https://app.example.com ("*" is not allowed)' },
);

/** An IPv4/IPv6 address, optionally with a prefix length that fits its family. */
function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * `false` (default) ignores X-Forwarded-For; a list of addresses or CIDR ranges trusts only
 * those peers. Trusting every peer, or a bare hop count, is deliberately not offered: either
 * lets a client that reaches the service directly choose its own IP address.
 */
const trustProxy = z.string().transform((v, ctx): false | string[] => {
  const value = v.trim();
  if (value === '' || value === 'false') return false;
  const entries = value.split(',').map((e) => e.trim());
  if (entries.every(isAddressOrCidr)) {
    return entries;
  }
  ctx.addIssue({
    code: 'custom',
    message: 'must be false or a comma-separated list of proxy addresses/CIDRs',
  });
  return z.NEVER;
});

/** 32 random bytes, base64: the key-encryption key of the envelope encryption. */
const masterKey = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
    message: 'must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)',
  })
  .transform((v) => Buffer.from(v, 'base64'));

/** A secret of at least 32 bytes, base64-encoded. */
const secretBytes = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length >= 32, {
    message: 'must be at least 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)',
  })
  .transform((v) => Buffer.from(v, 'base64'));

const smtpUrl = z.string().refine(
  (v) => {
    try {
      const url = new URL(v);
      return (url.protocol === 'smtp:' || url.protocol === 'smtps:') && url.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be an smtp:// or smtps:// URL with a host' },
);

const commaList = z.string().transform((v) =>
  v
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== ''),
);

/**
 * The master key ring, `current,previous,...`: the first seals, every one opens what it sealed.
 * Previous keys stay until `keys:rewrap` has resealed what they sealed.
 */
const masterKeyRing = commaList
  .pipe(z.array(masterKey).min(1, 'must list at least the current key'))
  .refine((keys) => new Set(keys.map((k) => k.toString('hex'))).size === keys.length, {
    message: 'lists a key twice',
  });

/** The environment as Gatehouse reads it; every variable is documented in .env.example. */
export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535).default(3000),
  WEB_CONCURRENCY: integer(1, 256).optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_SIZE: integer(1, 500).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: integer(100, 120000).default(5000),
  DATABASE_STATEMENT_TIMEOUT_MS: integer(0, 3600000).default(30000),
  PGLITE_DATA_DIR: z.string().min(1).default('./var/pglite'),
  EMBEDDED_DATABASE_IN_PRODUCTION: booleanFlag.default(false),
  REDIS_URL: redisUrl.optional(),
  HTTP_BODY_LIMIT_BYTES: integer(1024, 64 * 1024 * 1024).default(64 * 1024),
  HTTP_TRUST_PROXY: trustProxy.default(false),
  HTTP_CORS_ORIGINS: commaList.pipe(z.array(origin)).default([]),
  HTTP_SHUTDOWN_GRACE_MS: integer(0, 600000).default(10000),
  HEALTH_CHECK_TIMEOUT_MS: integer(50, 60000).default(1000),
  DOCS_ENABLED: booleanFlag.optional(),
  MASTER_KEY: masterKey.optional(),
  MASTER_KEYS: masterKeyRing.optional(),
  MASTER_KEY_FILE: z.string().min(1).default('./var/master.key'),
  SIGNING_ALG: z.enum(['ES256', 'RS256', 'EdDSA']).default('ES256'),
  SIGNING_KEY_ROTATION_DAYS: integer(1, 365).default(30),
  ACCESS_TOKEN_TTL_SECONDS: integer(60, 86400).default(900),
  ACCESS_TOKEN_AUDIENCE: z.string().min(1).default('gatehouse'),
  CLIENT_ACCESS_TOKEN_TTL_SECONDS: integer(60, 86400).optional(),
  REFRESH_TOKEN_IDLE_DAYS: integer(1, 365).default(7),
  REFRESH_TOKEN_ABSOLUTE_DAYS: integer(1, 365).default(30),
  PASSWORD_MIN_LENGTH: integer(8, 256).default(12),
  PASSWORD_MAX_LENGTH: integer(64, 1024).default(256),
  PASSWORD_PEPPER: secretBytes.optional(),
  ARGON2_MEMORY_KIB: integer(19456, 4 * 1024 * 1024).default(19456),
  ARGON2_ITERATIONS: integer(2, 100).default(2),
  ARGON2_PARALLELISM: integer(1, 64).default(1),
  ARGON2_MAX_CONCURRENT: integer(1, 256).optional(),
  /** libuv's own setting (its threadpool runs the hashing), read for the default above. */
  UV_THREADPOOL_SIZE: integer(1, 1024).optional(),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: integer(1, 1000).default(5),
  LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL: integer(1, 100000).default(50),
  LOGIN_MAX_FAILURES_PER_IP: integer(1, 100000).default(100),
  LOGIN_FAILURE_WINDOW_SECONDS: integer(1, 86400).default(900),
  LOGIN_LOCKOUT_BASE_SECONDS: integer(1, 3600).default(30),
  LOGIN_LOCKOUT_MAX_SECONDS: integer(1, 86400).default(900),
  SMTP_URL: smtpUrl.optional(),
  MAIL_FROM: z.string().min(3).default('Gatehouse <no-reply@localhost>'),
  WEB_APP_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  MFA_ISSUER: z
    .string()
    .min(1)
    .max(100)
    .refine((v) => !v.includes(':'), {
      message: 'must not contain ":" (the otpauth label separator)',
    })
    .default('Gatehouse'),
  MFA_REQUIRED_ROLES: commaList.pipe(z.array(z.string().max(100))).default([]),
  JOBS_IN_PROCESS: booleanFlag.default(true),
  JOBS_POOL_SIZE: integer(1, 100).default(4),
  EVENTS_RETENTION_DAYS: integer(1, 3650).default(30),
  EVENTS_REDIS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9:._-]{1,200}$/, {
      message: 'must be a Redis key of letters, digits, : . _ -',
    })
    .optional(),
  EVENTS_REDIS_STREAM_MAX_LENGTH: integer(1000, 1_000_000_000).default(1_000_000),
  EVENTS_STREAM_HEARTBEAT_MS: integer(100, 300_000).default(15_000),
  EVENTS_STREAM_QUEUE_LIMIT: integer(1, 100_000).default(1000),
  EVENTS_STREAM_MAX_PER_PRINCIPAL: integer(1, 1000).default(5),
  FEDERATION_ALLOWED_HOSTS: commaList.pipe(z.array(z.string().max(253))).default([]),
  FEDERATION_TIMEOUT_MS: integer(100, 60000).default(5000),
  TOKEN_VAULT_KEYCLOAK_REVOCATION: z.enum(['per_client', 'per_session']).default('per_client'),
  TOKEN_VAULT_CONSENT_TTL_SECONDS: integer(60, 3600).default(600),
  WEBHOOK_ALLOWED_HOSTS: commaList.pipe(z.array(z.string().max(253))).default([]),
  WEBHOOK_TIMEOUT_MS: integer(100, 60000).default(15000),
  WEBHOOK_DISABLE_AFTER_DAYS: integer(1, 365).default(5),
  WEBHOOK_RETRY_INITIAL_DELAY_SECONDS: integer(1, 3600).default(5),
  WEBHOOK_RETRY_MAX_DELAY_SECONDS: integer(1, 86400).default(3600),
  WEBHOOK_RETRY_WINDOW_SECONDS: integer(1, 7 * 86400).default(86400),
  RETENTION_SESSIONS_DAYS: integer(0, 3650).default(30),
  RETENTION_KNOWN_SIGN_INS_DAYS: integer(0, 3650).default(180),
  RETENTION_EMAIL_TOKENS_DAYS: integer(0, 3650).default(7),
  RETENTION_MFA_CHALLENGES_DAYS: integer(0, 3650).default(7),
  RETENTION_WEBHOOK_DELIVERIES_DAYS: integer(0, 3650).default(30),
  RETENTION_PROVIDER_EVENTS_DAYS: integer(0, 3650).default(30),
  RETENTION_AUTH_EVENTS_DAYS: integer(0, 3650).default(365),
  RETENTION_AUDIT_EVENTS_DAYS: integer(0, 3650).default(730),
  RETENTION_BATCH_SIZE: integer(1, 10_000).default(1000),
  ACCOUNT_DELETION_GRACE_DAYS: integer(0, 365).default(30),
  KITE_API_KEY: z
    .string()
    .regex(/^[A-Za-z0-9]{6,64}$/, { message: 'must be 6-64 letters or digits' })
    .optional(),
  KITE_API_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9]{6,128}$/, { message: 'must be 6-128 letters or digits' })
    .optional(),
  KITE_LOGIN_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .default('https://kite.zerodha.com/connect/login'),
  KITE_API_URL: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .default('https://api.kite.trade'),
  KITE_TIMEOUT_MS: integer(100, 60000).default(7000),
  KITE_RATE_LIMIT_PER_SECOND: integer(1, 1000).default(10),
  TRADING_LINK_TTL_SECONDS: integer(60, 3600).default(600),
  TRADING_SESSION_FETCHES_PER_MINUTE: integer(1, 100_000).default(600),
  SCIM_DEPROVISION: z
    .enum(['suspend', 'deactivate'], { message: 'must be suspend or deactivate' })
    .default('deactivate'),
  SCIM_MAX_PAGE_SIZE: integer(1, 10_000).default(1000),
  OKTA_ORG_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  OKTA_API_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{10,200}$/, { message: 'must be 10-200 printable characters' })
    .optional(),
  HR_OKTA_RETRY_BASE_MS: integer(10, 60_000).default(1000),
  HR_OKTA_CIRCUIT_FAILURES: integer(1, 1000).default(5),
  HR_OKTA_CIRCUIT_OPEN_SECONDS: integer(1, 3600).default(30),
  RETENTION_HR_ENRICHMENTS_DAYS: integer(0, 3650).default(365),
});

export type Environment = z.output<typeof environmentSchema>;

/**
 * Conditional requirements. A production instance that silently ran on the embedded database
 * (a typo in DATABASE_URL, a missing secret) would lose its data with its container.
 */
export const validatedEnvironmentSchema = environmentSchema.superRefine((env, ctx) => {
  if (env.MASTER_KEY && env.MASTER_KEYS) {
    ctx.addIssue({
      code: 'custom',
      path: ['MASTER_KEYS'],
      message: 'cannot be set with MASTER_KEY: list the current key first in MASTER_KEYS instead',
    });
  }
  if (env.NODE_ENV === 'production' && !env.MASTER_KEY && !env.MASTER_KEYS) {
    ctx.addIssue({
      code: 'custom',
      path: ['MASTER_KEY'],
      message:
        'is required when NODE_ENV=production, or MASTER_KEYS (a key file beside the data is no protection)',
    });
  }
  if (env.NODE_ENV === 'production' && !env.DATABASE_URL && !env.EMBEDDED_DATABASE_IN_PRODUCTION) {
    ctx.addIssue({
      code: 'custom',
      path: ['DATABASE_URL'],
      message:
        'is required when NODE_ENV=production (set EMBEDDED_DATABASE_IN_PRODUCTION=true to run on the embedded database anyway)',
    });
  }
  if (env.WEB_CONCURRENCY !== undefined && env.WEB_CONCURRENCY > 1 && !env.DATABASE_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['WEB_CONCURRENCY'],
      message: 'above 1 needs DATABASE_URL (the embedded database belongs to one process)',
    });
  }
  if (env.NODE_ENV === 'production' && !env.SMTP_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['SMTP_URL'],
      message: 'is required when NODE_ENV=production (the development outbox logs its links)',
    });
  }
  if (env.PASSWORD_MIN_LENGTH > env.PASSWORD_MAX_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      path: ['PASSWORD_MIN_LENGTH'],
      message: 'must not exceed PASSWORD_MAX_LENGTH',
    });
  }
  if (env.REFRESH_TOKEN_IDLE_DAYS > env.REFRESH_TOKEN_ABSOLUTE_DAYS) {
    ctx.addIssue({
      code: 'custom',
      path: ['REFRESH_TOKEN_IDLE_DAYS'],
      message: 'must not exceed REFRESH_TOKEN_ABSOLUTE_DAYS',
    });
  }
  if (env.EVENTS_REDIS_STREAM && !env.REDIS_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['EVENTS_REDIS_STREAM'],
      message: 'needs REDIS_URL (the stream is written to that Redis)',
    });
  }
  if (Boolean(env.KITE_API_KEY) !== Boolean(env.KITE_API_SECRET)) {
    ctx.addIssue({
      code: 'custom',
      path: [env.KITE_API_KEY ? 'KITE_API_SECRET' : 'KITE_API_KEY'],
      message: 'is required with the other of KITE_API_KEY and KITE_API_SECRET',
    });
  }
  if (Boolean(env.OKTA_ORG_URL) !== Boolean(env.OKTA_API_TOKEN)) {
    ctx.addIssue({
      code: 'custom',
      path: [env.OKTA_ORG_URL ? 'OKTA_API_TOKEN' : 'OKTA_ORG_URL'],
      message: 'is required with the other of OKTA_ORG_URL and OKTA_API_TOKEN',
    });
  }
  if (env.LOGIN_LOCKOUT_BASE_SECONDS > env.LOGIN_LOCKOUT_MAX_SECONDS) {
    ctx.addIssue({
      code: 'custom',
      path: ['LOGIN_LOCKOUT_BASE_SECONDS'],
      message: 'must not exceed LOGIN_LOCKOUT_MAX_SECONDS',
    });
  }
});

/** The one typed configuration object, built once at boot from the environment. */
export interface AppConfig {
  env: Environment['NODE_ENV'];
  http: {
    host: string;
    port: number;
    publicUrl: string;
    bodyLimitBytes: number;
    trustProxy: false | string[];
    corsOrigins: string[];
    shutdownGraceMs: number;
    /**
     * Worker processes sharing the port, supervised by a primary (WEB_CONCURRENCY): by default
     * one per core on a PostgreSQL server, one on the embedded database.
     */
    workers: number;
  };
  log: { level: Environment['LOG_LEVEL']; format: Environment['LOG_FORMAT'] };
  database: {
    /** Absent: Gatehouse starts its embedded PostgreSQL (PGlite) under `embeddedDataDir`. */
    url: string | undefined;
    poolSize: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    embeddedDataDir: string;
  };
  redis: { url: string | undefined };
  health: { checkTimeoutMs: number };
  docs: { enabled: boolean };
  crypto: {
    /** Absent: read from (or generated once into) `masterKeyFile`, with a warning. */
    masterKey: Buffer | undefined;
    /** Keys that sealed before `masterKey` (MASTER_KEYS after the first): they only open. */
    previousMasterKeys: Buffer[];
    masterKeyFile: string;
  };
  tokens: {
    signingAlg: 'ES256' | 'RS256' | 'EdDSA';
    signingKeyRotationDays: number;
    accessTokenTtlSeconds: number;
    /** Lifetime of the access tokens of service clients (client-credentials grant). */
    clientAccessTokenTtlSeconds: number;
    /** `aud` of every access token, and the only audience verification accepts. */
    audience: string;
    refreshIdleSeconds: number;
    refreshAbsoluteSeconds: number;
  };
  passwords: {
    /** Bounds in Unicode code points, after NFKC normalization. */
    minLength: number;
    maxLength: number;
    /** Optional argon2 secret (keyed hashing); hashes made with it verify only with it. */
    pepper: Buffer | undefined;
    argon2: { memoryKib: number; iterations: number; parallelism: number };
    /**
     * The most hashes or verifications this process runs at once; the others wait their turn.
     * Each holds `memoryKib` while it runs.
     */
    maxConcurrentHashes: number;
  };
  loginThrottle: {
    /** Per account and client address (network): the lock a guesser meets first. */
    maxFailuresPerAccount: number;
    /** Per account from every address together: bounds guessing spread over many addresses. */
    maxFailuresPerAccountTotal: number;
    /** Per client address (network), across accounts: bounds password spraying. */
    maxFailuresPerIp: number;
    failureWindowSeconds: number;
    lockoutBaseSeconds: number;
    lockoutMaxSeconds: number;
  };
  mail: {
    /** Absent: the development outbox (stored in the database, logged with its links). */
    smtpUrl: string | undefined;
    from: string;
    /** Where links in mails point: the web client that posts their tokens back. */
    webAppUrl: string;
  };
  mfa: {
    /** The issuer authenticator apps show next to the account (otpauth `issuer`). */
    issuer: string;
    /** Holders of these roles must complete a second factor at every login, enrolling first. */
    requiredRoles: string[];
  };
  jobs: {
    /** Whether this process works the job queues (off when `--worker` processes do). */
    inProcess: boolean;
    /** Connections of the job queue's own pool (on a PostgreSQL server). */
    poolSize: number;
  };
  events: {
    /** How long published events stay in the outbox: the window to resume a stream or replay. */
    retentionDays: number;
    /** Redis stream every event is added to, once; absent: no stream. */
    redisStream: string | undefined;
    /** The stream is trimmed to about this many entries. */
    redisStreamMaxLength: number;
    /** Server-Sent Events streams (`GET /v1/events/stream`). */
    stream: {
      /** A comment line is sent this often, so proxies and clients see the stream alive. */
      heartbeatMs: number;
      /** Events waiting for one slow client; past this it is disconnected. */
      queueLimit: number;
      /** Streams one user or service client may hold open on one instance. */
      maxPerPrincipal: number;
    };
  };
  federation: {
    /**
     * Hosts (names or addresses) of identity providers that may resolve to loopback, private or
     * link-local addresses, which are refused otherwise (tests, a provider inside the network).
     */
    allowedHosts: string[];
    /** Each request to a provider (discovery, token, JWKS, management API) gives up after this. */
    timeoutMs: number;
  };
  tokenVault: {
    /**
     * What revoking an offline token does at the deployment's Keycloak (EXTERNAL-CONTRACTS §4):
     * `per_client` (before 26.1) also revokes every offline token of the user for the client,
     * `per_session` (PR #35696) only the offline session the token names. Unknown: `per_client`.
     */
    keycloakRevocation: 'per_client' | 'per_session';
    /** How long a consent may take between its URL and the provider's redirect back. */
    consentTtlSeconds: number;
  };
  webhooks: {
    /**
     * Hosts (names or addresses) a webhook URL may reach although they resolve to loopback,
     * private, link-local or metadata addresses, which are refused otherwise.
     */
    allowedHosts: string[];
    timeoutMs: number;
    /** An endpoint failing this long without a success is disabled. */
    disableAfterDays: number;
    /**
     * A failed attempt is retried after `initialDelaySeconds`, doubling each time up to
     * `maxDelaySeconds` (each delay ±20 % jitter), for as long as less than `windowSeconds` has
     * passed since the delivery's first attempt.
     */
    retry: { initialDelaySeconds: number; maxDelaySeconds: number; windowSeconds: number };
  };
  /**
   * Days each kind of row is kept once it is over, then purged by the `retention.purge` job; 0
   * keeps it forever. Published events follow `events.retentionDays`.
   */
  retention: {
    /** Ended sessions (revoked, or idle or absolute expiry reached) with their refresh tokens. */
    sessionsDays: number;
    /** Email tokens used, superseded or expired. */
    emailTokensDays: number;
    /** MFA challenges used, burnt or expired. */
    mfaChallengesDays: number;
    /** Webhook delivery attempts, counted from the attempt. */
    webhookDeliveriesDays: number;
    /**
     * Events identity providers' webhooks delivered, counted from their receipt: kept so that a
     * redelivery is recognised by its id (and the outcome of each can be looked up).
     */
    providerEventsDays: number;
    /** Devices and networks users signed in from, counted from the last sign-in from them. */
    knownSignInsDays: number;
    /** Authentication events (`auth_events`), counted from the event. */
    authEventsDays: number;
    /**
     * Audit log rows, counted from the row; purged only up to a signed checkpoint, so the kept
     * chain still verifies.
     */
    auditEventsDays: number;
    /** HR onboarding enrichments (the enriched records), once completed or failed. */
    hrEnrichmentsDays: number;
    /** Rows deleted per statement, each batch its own transaction. */
    batchSize: number;
  };
  privacy: {
    /**
     * Days between a user's asking to delete their account and its erasure, during which signing
     * in cancels it; 0 erases at once.
     */
    deletionGraceDays: number;
  };
  tradingAccounts: {
    kite: {
      /** The platform's Kite Connect app; absent: only users' own apps can link. */
      platformApp: { apiKey: string; apiSecret: string } | null;
      /** Where browsers log in (the official client ignores a custom one, so Gatehouse builds it). */
      loginUrl: string;
      /** The API root the official client is pointed at. */
      apiUrl: string;
      timeoutMs: number;
      /** Kite's documented limit for every endpoint but quotes, history and orders. */
      rateLimitPerSecond: number;
    };
    /** How long a link's `state` is accepted, from `POST /v1/trading-accounts/links`. */
    linkTtlSeconds: number;
    /** Broker sessions one service client may fetch per minute. */
    sessionFetchesPerMinute: number;
  };
  scim: {
    /** What `active: false` and DELETE do to the account: suspend or deactivate it. */
    deprovision: 'suspend' | 'deactivate';
    /** The most resources one list page holds (`count` above it is lowered to it). */
    maxPageSize: number;
  };
  hr: {
    /** The Okta org new hires are enriched from (OKTA_ORG_URL and its SSWS token); null: none. */
    okta: { orgUrl: string; apiToken: string } | null;
    /** The first retry of a failed Okta call waits this long, doubling for each of the three. */
    retryBaseMs: number;
    /** Enrichments failing in a row that open the Okta org's circuit. */
    circuitFailures: number;
    /** How long an open circuit stays open before one probe is let through. */
    circuitOpenSeconds: number;
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

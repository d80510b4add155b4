import { availableParallelism } from 'node:os';
import { AppConfig, validatedEnvironmentSchema } from './app-config';
import { ConfigError } from './config.error';

const DAY_SECONDS = 24 * 60 * 60;
/** libuv's threadpool size when UV_THREADPOOL_SIZE is not set. */
const LIBUV_THREADPOOL_DEFAULT = 4;

/**
 * Parses and validates the environment once. Empty strings count as unset so that a blank line
 * copied from .env.example does not override a default.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = validatedEnvironmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const publicHost = e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST;
  const workers = e.WEB_CONCURRENCY ?? (e.DATABASE_URL ? availableParallelism() : 1);
  const publicUrl = (e.PUBLIC_URL ?? `http://${publicHost}:${e.PORT}`).replace(/\/+$/, '');
  return {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl,
      bodyLimitBytes: e.HTTP_BODY_LIMIT_BYTES,
      trustProxy: e.HTTP_TRUST_PROXY,
      corsOrigins: e.HTTP_CORS_ORIGINS,
      shutdownGraceMs: e.HTTP_SHUTDOWN_GRACE_MS,
      workers,
    },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      embeddedDataDir: e.PGLITE_DATA_DIR,
    },
    redis: { url: e.REDIS_URL },
    health: { checkTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS },
    // The API description helps attackers as much as integrators: off in production unless asked.
    docs: { enabled: e.DOCS_ENABLED ?? e.NODE_ENV !== 'production' },
    crypto: {
      masterKey: e.MASTER_KEYS?.[0] ?? e.MASTER_KEY,
      previousMasterKeys: e.MASTER_KEYS?.slice(1) ?? [],
      masterKeyFile: e.MASTER_KEY_FILE,
    },
    tokens: {
      signingAlg: e.SIGNING_ALG,
      signingKeyRotationDays: e.SIGNING_KEY_ROTATION_DAYS,
      accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      clientAccessTokenTtlSeconds: e.CLIENT_ACCESS_TOKEN_TTL_SECONDS ?? e.ACCESS_TOKEN_TTL_SECONDS,
      audience: e.ACCESS_TOKEN_AUDIENCE,
      refreshIdleSeconds: e.REFRESH_TOKEN_IDLE_DAYS * DAY_SECONDS,
      refreshAbsoluteSeconds: e.REFRESH_TOKEN_ABSOLUTE_DAYS * DAY_SECONDS,
    },
    passwords: {
      minLength: e.PASSWORD_MIN_LENGTH,
      maxLength: e.PASSWORD_MAX_LENGTH,
      pepper: e.PASSWORD_PEPPER,
      argon2: {
        memoryKib: e.ARGON2_MEMORY_KIB,
        iterations: e.ARGON2_ITERATIONS,
        parallelism: e.ARGON2_PARALLELISM,
      },
      // This process's share of the threads that can hash at once: the threadpool's, and no more
      // than the machine has cores. argon2id is bound by CPU and memory, so hashes beyond the
      // cores only hold their memory longer and evict each other's from the caches (on 2 cores,
      // 2 verifications at once verify 0.97× as many per second as 4, at 0.93× the CPU each:
      // bench/RESULTS.md, the login section). Workers together run as many as one process.
      maxConcurrentHashes:
        e.ARGON2_MAX_CONCURRENT ??
        Math.max(
          1,
          Math.floor(
            Math.min(e.UV_THREADPOOL_SIZE ?? LIBUV_THREADPOOL_DEFAULT, availableParallelism()) /
              workers,
          ),
        ),
    },
    loginThrottle: {
      maxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerAccountTotal: e.LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      failureWindowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
      lockoutBaseSeconds: e.LOGIN_LOCKOUT_BASE_SECONDS,
      lockoutMaxSeconds: e.LOGIN_LOCKOUT_MAX_SECONDS,
    },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM,
      webAppUrl: (e.WEB_APP_URL ?? publicUrl).replace(/\/+$/, ''),
    },
    mfa: { issuer: e.MFA_ISSUER, requiredRoles: e.MFA_REQUIRED_ROLES },
    jobs: { inProcess: e.JOBS_IN_PROCESS, poolSize: e.JOBS_POOL_SIZE },
    events: {
      retentionDays: e.EVENTS_RETENTION_DAYS,
      redisStream: e.EVENTS_REDIS_STREAM,
      redisStreamMaxLength: e.EVENTS_REDIS_STREAM_MAX_LENGTH,
      stream: {
        heartbeatMs: e.EVENTS_STREAM_HEARTBEAT_MS,
        queueLimit: e.EVENTS_STREAM_QUEUE_LIMIT,
        maxPerPrincipal: e.EVENTS_STREAM_MAX_PER_PRINCIPAL,
      },
    },
    federation: {
      allowedHosts: e.FEDERATION_ALLOWED_HOSTS.map((host) => host.toLowerCase()),
      timeoutMs: e.FEDERATION_TIMEOUT_MS,
    },
    tokenVault: {
      keycloakRevocation: e.TOKEN_VAULT_KEYCLOAK_REVOCATION,
      consentTtlSeconds: e.TOKEN_VAULT_CONSENT_TTL_SECONDS,
    },
    webhooks: {
      allowedHosts: e.WEBHOOK_ALLOWED_HOSTS.map((host) => host.toLowerCase()),
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      disableAfterDays: e.WEBHOOK_DISABLE_AFTER_DAYS,
      retry: {
        initialDelaySeconds: e.WEBHOOK_RETRY_INITIAL_DELAY_SECONDS,
        maxDelaySeconds: e.WEBHOOK_RETRY_MAX_DELAY_SECONDS,
        windowSeconds: e.WEBHOOK_RETRY_WINDOW_SECONDS,
      },
    },
    retention: {
      sessionsDays: e.RETENTION_SESSIONS_DAYS,
      emailTokensDays: e.RETENTION_EMAIL_TOKENS_DAYS,
      mfaChallengesDays: e.RETENTION_MFA_CHALLENGES_DAYS,
      webhookDeliveriesDays: e.RETENTION_WEBHOOK_DELIVERIES_DAYS,
      providerEventsDays: e.RETENTION_PROVIDER_EVENTS_DAYS,
      knownSignInsDays: e.RETENTION_KNOWN_SIGN_INS_DAYS,
      authEventsDays: e.RETENTION_AUTH_EVENTS_DAYS,
      auditEventsDays: e.RETENTION_AUDIT_EVENTS_DAYS,
      hrEnrichmentsDays: e.RETENTION_HR_ENRICHMENTS_DAYS,
      batchSize: e.RETENTION_BATCH_SIZE,
    },
    privacy: { deletionGraceDays: e.ACCOUNT_DELETION_GRACE_DAYS },
    tradingAccounts: {
      kite: {
        platformApp:
          e.KITE_API_KEY && e.KITE_API_SECRET
            ? { apiKey: e.KITE_API_KEY, apiSecret: e.KITE_API_SECRET }
            : null,
        loginUrl: e.KITE_LOGIN_URL,
        apiUrl: e.KITE_API_URL.replace(/\/+$/, ''),
        timeoutMs: e.KITE_TIMEOUT_MS,
        rateLimitPerSecond: e.KITE_RATE_LIMIT_PER_SECOND,
      },
      linkTtlSeconds: e.TRADING_LINK_TTL_SECONDS,
      sessionFetchesPerMinute: e.TRADING_SESSION_FETCHES_PER_MINUTE,
    },
    scim: { deprovision: e.SCIM_DEPROVISION, maxPageSize: e.SCIM_MAX_PAGE_SIZE },
    hr: {
      okta:
        e.OKTA_ORG_URL && e.OKTA_API_TOKEN
          ? { orgUrl: e.OKTA_ORG_URL.replace(/\/+$/, ''), apiToken: e.OKTA_API_TOKEN }
          : null,
      retryBaseMs: e.HR_OKTA_RETRY_BASE_MS,
      circuitFailures: e.HR_OKTA_CIRCUIT_FAILURES,
      circuitOpenSeconds: e.HR_OKTA_CIRCUIT_OPEN_SECONDS,
    },
  };
}

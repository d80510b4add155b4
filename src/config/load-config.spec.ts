import { availableParallelism } from 'node:os';
import { ConfigError } from './config.error';
import { loadConfig } from './load-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('configuration was accepted');
}

const KEY = Buffer.alloc(32, 1).toString('base64');

describe('loadConfig', () => {
  it('gives working defaults for an empty environment: embedded database, port 3000', () => {
    const config = loadConfig({});
    expect(config.http).toMatchObject({
      host: '0.0.0.0',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      bodyLimitBytes: 65536,
      trustProxy: false,
      corsOrigins: [],
      workers: 1,
    });
    expect(config.database).toMatchObject({ url: undefined, embeddedDataDir: './var/pglite' });
    expect(config.redis.url).toBeUndefined();
    expect(config.docs.enabled).toBe(true);
  });

  it('starts a worker per core on a PostgreSQL server unless WEB_CONCURRENCY says otherwise', () => {
    const url = 'postgres://gatehouse@db.internal:5432/gatehouse';
    expect(loadConfig({ DATABASE_URL: url }).http.workers).toBe(availableParallelism());
    expect(loadConfig({ DATABASE_URL: url, WEB_CONCURRENCY: '3' }).http.workers).toBe(3);
    expect(loadConfig({ WEB_CONCURRENCY: '1' }).http.workers).toBe(1);
    expect(() => loadConfig({ WEB_CONCURRENCY: '2' })).toThrow(
      'WEB_CONCURRENCY: above 1 needs DATABASE_URL',
    );
    expect(() => loadConfig({ DATABASE_URL: url, WEB_CONCURRENCY: 'many' })).toThrow(
      'WEB_CONCURRENCY: must be a whole number',
    );
  });

  it('runs as many hashes at once as its share of the threadpool, at most of the cores, unless ARGON2_MAX_CONCURRENT says otherwise', () => {
    const url = 'postgres://gatehouse@db.internal:5432/gatehouse';
    const cores = availableParallelism();
    expect(loadConfig({}).passwords.maxConcurrentHashes).toBe(Math.min(4, cores));
    expect(loadConfig({ UV_THREADPOOL_SIZE: '8' }).passwords.maxConcurrentHashes).toBe(
      Math.min(8, cores),
    );
    expect(loadConfig({ UV_THREADPOOL_SIZE: '1' }).passwords.maxConcurrentHashes).toBe(1);
    expect(
      loadConfig({ DATABASE_URL: url, WEB_CONCURRENCY: '2' }).passwords.maxConcurrentHashes,
    ).toBe(Math.max(1, Math.floor(Math.min(4, cores) / 2)));
    expect(
      loadConfig({ DATABASE_URL: url, WEB_CONCURRENCY: '16' }).passwords.maxConcurrentHashes,
    ).toBe(1);
    expect(loadConfig({ ARGON2_MAX_CONCURRENT: '6' }).passwords.maxConcurrentHashes).toBe(6);
    expect(() => loadConfig({ ARGON2_MAX_CONCURRENT: '0' })).toThrow(
      'ARGON2_MAX_CONCURRENT: must be at least 1',
    );
  });

  it('runs production on the embedded database only when explicitly allowed', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      EMBEDDED_DATABASE_IN_PRODUCTION: 'true',
      MASTER_KEY: KEY,
      SMTP_URL: 'smtp://mail.internal:587',
    });
    expect(config.database.url).toBeUndefined();
  });

  it('serves API docs by default except in production, where they must be asked for', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).docs.enabled).toBe(true);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/gatehouse',
      MASTER_KEY: KEY,
      SMTP_URL: 'smtp://mail.internal:587',
    };
    expect(loadConfig(production).docs.enabled).toBe(false);
    expect(loadConfig({ ...production, DOCS_ENABLED: 'true' }).docs.enabled).toBe(true);
    expect(loadConfig({ DOCS_ENABLED: 'false' }).docs.enabled).toBe(false);
  });

  it('reads the master key ring: the first key seals, the others only open', () => {
    const second = Buffer.alloc(32, 2).toString('base64');
    const third = Buffer.alloc(32, 3).toString('base64');
    expect(loadConfig({ MASTER_KEYS: `${KEY}, ${second},${third}` }).crypto).toMatchObject({
      masterKey: Buffer.alloc(32, 1),
      previousMasterKeys: [Buffer.alloc(32, 2), Buffer.alloc(32, 3)],
    });
    expect(loadConfig({ MASTER_KEY: KEY }).crypto).toMatchObject({
      masterKey: Buffer.alloc(32, 1),
      previousMasterKeys: [],
    });
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/gatehouse',
      MASTER_KEYS: `${second},${KEY}`,
      SMTP_URL: 'smtp://mail.internal:587',
    };
    expect(loadConfig(production).crypto.masterKey).toEqual(Buffer.alloc(32, 2));
  });

  it('decodes the master key and signing settings', () => {
    const config = loadConfig({ MASTER_KEY: KEY, SIGNING_ALG: 'EdDSA' });
    expect(config.crypto.masterKey).toEqual(Buffer.alloc(32, 1));
    expect(config.tokens).toEqual({
      signingAlg: 'EdDSA',
      signingKeyRotationDays: 30,
      accessTokenTtlSeconds: 900,
      clientAccessTokenTtlSeconds: 900,
      audience: 'gatehouse',
      refreshIdleSeconds: 7 * 24 * 60 * 60,
      refreshAbsoluteSeconds: 30 * 24 * 60 * 60,
    });
  });

  it('gives service tokens the access-token lifetime unless told otherwise', () => {
    expect(loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '300' }).tokens).toMatchObject({
      accessTokenTtlSeconds: 300,
      clientAccessTokenTtlSeconds: 300,
    });
    const own = loadConfig({
      ACCESS_TOKEN_TTL_SECONDS: '300',
      CLIENT_ACCESS_TOKEN_TTL_SECONDS: '3600',
    });
    expect(own.tokens.clientAccessTokenTtlSeconds).toBe(3600);
  });

  it('defaults passwords to the OWASP argon2id minimum and a 12-256 length policy', () => {
    const config = loadConfig({});
    expect(config.passwords).toEqual({
      minLength: 12,
      maxLength: 256,
      pepper: undefined,
      argon2: { memoryKib: 19456, iterations: 2, parallelism: 1 },
      maxConcurrentHashes: Math.min(4, availableParallelism()),
    });
    expect(config.loginThrottle).toEqual({
      maxFailuresPerAccount: 5,
      maxFailuresPerAccountTotal: 50,
      maxFailuresPerIp: 100,
      failureWindowSeconds: 900,
      lockoutBaseSeconds: 30,
      lockoutMaxSeconds: 900,
    });
    expect(config.mail).toEqual({
      smtpUrl: undefined,
      from: 'Gatehouse <no-reply@localhost>',
      webAppUrl: 'http://localhost:3000',
    });
    expect(
      loadConfig({ PASSWORD_PEPPER: Buffer.alloc(32, 2).toString('base64') }).passwords.pepper,
    ).toEqual(Buffer.alloc(32, 2));
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).http.port).toBe(3000);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: must be a whole number'],
    [{ PORT: '70000' }, 'PORT: must be at most 65535'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
    [{ DATABASE_URL: 'mysql://db/x' }, 'DATABASE_URL: must be a postgres:// or postgresql:// URL'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE: must be at least 1'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL:'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT:'],
    [{ HTTP_CORS_ORIGINS: '*' }, 'HTTP_CORS_ORIGINS.0: must list exact origins'],
    [{ HTTP_CORS_ORIGINS: 'https://a.example.com/path' }, 'HTTP_CORS_ORIGINS.0: must list exact'],
    [{ HTTP_TRUST_PROXY: 'true' }, 'HTTP_TRUST_PROXY: must be false or a comma-separated list'],
    [{ HTTP_TRUST_PROXY: '2' }, 'HTTP_TRUST_PROXY: must be false or a comma-separated list'],
    [{ HTTP_TRUST_PROXY: '999.1.1.1' }, 'HTTP_TRUST_PROXY: must be false or a comma-separated'],
    [{ HTTP_TRUST_PROXY: '10.0.0.0/40' }, 'HTTP_TRUST_PROXY: must be false or a comma-separated'],
    [{ HTTP_TRUST_PROXY: '::::' }, 'HTTP_TRUST_PROXY: must be false or a comma-separated list'],
    [{ DATABASE_URL: 'postgres://u:p%zz@h/db' }, 'DATABASE_URL: must be a postgres:// or'],
    [{ NODE_ENV: 'production' }, 'DATABASE_URL: is required when NODE_ENV=production'],
    [{ NODE_ENV: 'production' }, 'MASTER_KEY: is required when NODE_ENV=production'],
    [{ NODE_ENV: 'production' }, 'SMTP_URL: is required when NODE_ENV=production'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL: must be an smtp:// or smtps:// URL'],
    [{ ARGON2_MEMORY_KIB: '4096' }, 'ARGON2_MEMORY_KIB: must be at least 19456'],
    [{ ARGON2_ITERATIONS: '1' }, 'ARGON2_ITERATIONS: must be at least 2'],
    [
      { PASSWORD_PEPPER: Buffer.alloc(16).toString('base64') },
      'PASSWORD_PEPPER: must be at least 32',
    ],
    [
      { PASSWORD_MIN_LENGTH: '100', PASSWORD_MAX_LENGTH: '64' },
      'PASSWORD_MIN_LENGTH: must not exceed',
    ],
    [{ REFRESH_TOKEN_IDLE_DAYS: '40' }, 'REFRESH_TOKEN_IDLE_DAYS: must not exceed'],
    [{ LOGIN_LOCKOUT_BASE_SECONDS: '1000' }, 'LOGIN_LOCKOUT_BASE_SECONDS: must not exceed'],
    [{ MASTER_KEY: Buffer.alloc(16).toString('base64') }, 'MASTER_KEY: must be 32 bytes'],
    [{ MASTER_KEY: 'not base64 at all!' }, 'MASTER_KEY: must be 32 bytes'],
    [{ MASTER_KEYS: `${KEY},c2hvcnQ=` }, 'MASTER_KEYS.1: must be 32 bytes'],
    [{ MASTER_KEYS: ' , ' }, 'MASTER_KEYS: must list at least the current key'],
    [{ MASTER_KEYS: `${KEY},${KEY}` }, 'MASTER_KEYS: lists a key twice'],
    [{ MASTER_KEY: KEY, MASTER_KEYS: KEY }, 'MASTER_KEYS: cannot be set with MASTER_KEY'],
    [{ SIGNING_ALG: 'HS256' }, 'SIGNING_ALG:'],
    [{ ACCESS_TOKEN_TTL_SECONDS: '5' }, 'ACCESS_TOKEN_TTL_SECONDS: must be at least 60'],
    [
      { CLIENT_ACCESS_TOKEN_TTL_SECONDS: '5' },
      'CLIENT_ACCESS_TOKEN_TTL_SECONDS: must be at least 60',
    ],
    [{ DOCS_ENABLED: 'maybe' }, 'DOCS_ENABLED: must be true or false'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL:'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(problemsOf(env).join('\n')).toContain(message);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({ PORT: 'abc', DATABASE_URL: 'nonsense', LOG_LEVEL: 'loud' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'LOG_LEVEL',
      'PORT',
    ]);
  });

  it('never echoes a bad value back (it may be a secret)', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres//admin:hunter2@db' });
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('parses lists: CORS origins and trusted proxy ranges', () => {
    const config = loadConfig({
      HTTP_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      HTTP_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, ::1, fd00::/8',
      DATABASE_URL: 'postgresql://gh:pw@db.internal:5432/gatehouse',
      PUBLIC_URL: 'https://id.example.com/',
    });
    expect(config.http.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.http.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8']);
    expect(config.http.publicUrl).toBe('https://id.example.com');
  });
});

describe('loadConfig: retention', () => {
  it('keeps each kind of row for its documented number of days by default', () => {
    expect(loadConfig({}).retention).toEqual({
      sessionsDays: 30,
      emailTokensDays: 7,
      mfaChallengesDays: 7,
      webhookDeliveriesDays: 30,
      providerEventsDays: 30,
      knownSignInsDays: 180,
      authEventsDays: 365,
      auditEventsDays: 730,
      hrEnrichmentsDays: 365,
      batchSize: 1000,
    });
    expect(loadConfig({}).events.retentionDays).toBe(30);
  });

  it('reads each kind, and 0 keeps that kind forever', () => {
    const config = loadConfig({
      RETENTION_SESSIONS_DAYS: '0',
      RETENTION_EMAIL_TOKENS_DAYS: '1',
      RETENTION_MFA_CHALLENGES_DAYS: '2',
      RETENTION_WEBHOOK_DELIVERIES_DAYS: '3650',
      RETENTION_PROVIDER_EVENTS_DAYS: '7',
      RETENTION_KNOWN_SIGN_INS_DAYS: '90',
      RETENTION_AUTH_EVENTS_DAYS: '30',
      RETENTION_AUDIT_EVENTS_DAYS: '0',
      RETENTION_HR_ENRICHMENTS_DAYS: '14',
      RETENTION_BATCH_SIZE: '50',
    });
    expect(config.retention).toEqual({
      sessionsDays: 0,
      emailTokensDays: 1,
      mfaChallengesDays: 2,
      webhookDeliveriesDays: 3650,
      providerEventsDays: 7,
      knownSignInsDays: 90,
      authEventsDays: 30,
      auditEventsDays: 0,
      hrEnrichmentsDays: 14,
      batchSize: 50,
    });
  });

  it('takes the Okta org of HR onboarding with its token, or neither', () => {
    expect(loadConfig({}).hr.okta).toBeNull();
    expect(
      loadConfig({ OKTA_ORG_URL: 'https://corp.okta.com/', OKTA_API_TOKEN: '00abcdefghijkl' }).hr
        .okta,
    ).toEqual({ orgUrl: 'https://corp.okta.com', apiToken: '00abcdefghijkl' });
    expect(() => loadConfig({ OKTA_ORG_URL: 'https://corp.okta.com' })).toThrow(
      'OKTA_API_TOKEN: is required with the other of OKTA_ORG_URL and OKTA_API_TOKEN',
    );
    expect(() => loadConfig({ OKTA_API_TOKEN: '00abcdefghijkl' })).toThrow('OKTA_ORG_URL');
    expect(() =>
      loadConfig({ OKTA_ORG_URL: 'ftp://corp.okta.com', OKTA_API_TOKEN: '00abcdefghijkl' }),
    ).toThrow('OKTA_ORG_URL: must be an http(s) URL');
  });

  it.each([
    [{ RETENTION_SESSIONS_DAYS: '-1' }, 'RETENTION_SESSIONS_DAYS: must be a whole number'],
    [{ RETENTION_SESSIONS_DAYS: '30d' }, 'RETENTION_SESSIONS_DAYS: must be a whole number'],
    [{ RETENTION_EMAIL_TOKENS_DAYS: '1.5' }, 'RETENTION_EMAIL_TOKENS_DAYS: must be a whole number'],
    [{ RETENTION_MFA_CHALLENGES_DAYS: 'forever' }, 'RETENTION_MFA_CHALLENGES_DAYS: must be'],
    [
      { RETENTION_WEBHOOK_DELIVERIES_DAYS: '3651' },
      'RETENTION_WEBHOOK_DELIVERIES_DAYS: must be at most 3650',
    ],
    [
      { RETENTION_PROVIDER_EVENTS_DAYS: '30 days' },
      'RETENTION_PROVIDER_EVENTS_DAYS: must be a whole number',
    ],
    [{ RETENTION_AUDIT_EVENTS_DAYS: '-1' }, 'RETENTION_AUDIT_EVENTS_DAYS: must be a whole number'],
    [{ RETENTION_BATCH_SIZE: '0' }, 'RETENTION_BATCH_SIZE: must be at least 1'],
    [{ RETENTION_BATCH_SIZE: '10001' }, 'RETENTION_BATCH_SIZE: must be at most 10000'],
    [{ EVENTS_RETENTION_DAYS: '0' }, 'EVENTS_RETENTION_DAYS: must be at least 1'],
    [{ ACCOUNT_DELETION_GRACE_DAYS: '366' }, 'ACCOUNT_DELETION_GRACE_DAYS: must be at most 365'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(problemsOf(env).join('\n')).toContain(message);
  });
});

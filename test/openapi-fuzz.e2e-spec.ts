import type { OutgoingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { SignedInUser, signedInAdmin, signedInUser } from './support/access';
import { GOOD_PASSWORD, login, post, TokenPairBody, uniqueIp } from './support/accounts';
import { PROBLEM } from './support/assertions';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Every operation of the OpenAPI document the application serves, called with malformed input by
 * an anonymous caller, an ordinary user and an administrator: wrong types, hostile keys, huge and
 * deeply nested values, broken JSON, odd content types, huge path segments and invalid ids. Bad
 * input must always be a clear 4xx: never a 5xx, never a stack trace or database text, and
 * problem+json everywhere but the OAuth endpoints (RFC 6749 JSON errors there) and SCIM's (RFC
 * 7644 errors there).
 *
 * Deterministic: a fixed seed, a fixed number of cases per operation and caller.
 *
 * Cases that change state cannot spoil later ones: ids in paths and bodies are invalid or name
 * nothing (so no DELETE or PATCH reaches an existing object), what they create (roles, clients,
 * webhooks, accounts) is new and unrelated, and each operation starts from a live session of its
 * caller (a logout or logout-all among the previous operation's cases ends the session it used).
 */

const SEED = 202_026;
/** Well-formed ids nothing has (UUIDv7 and v4): the cases stay the same from run to run. */
const UNKNOWN_UUID = '0190d1b8-7a3c-7c4e-8a1b-2f3c4d5e6f70';
const UNKNOWN_UUID_V4 = '3b241101-e2bb-4255-8caf-4136c566a962';
const CASES_PER_OPERATION = 16;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

interface SchemaObject {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  example?: unknown;
  minimum?: number;
  properties?: Record<string, SchemaObject>;
  items?: SchemaObject;
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: SchemaObject;
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<Lowercase<Method>, OperationObject>>>;
  components: { schemas: Record<string, SchemaObject> };
}

interface OperationObject {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: SchemaObject }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}

interface Operation {
  method: Method;
  template: string;
  pathParams: string[];
  queryParams: Parameter[];
  bodyType: 'json' | 'form' | null;
  /** Property names of the request body (its schema's), to aim wrong types at. */
  bodyFields: string[];
  /** A body of the right shape, from the schema's examples and types: what cases mutate. */
  plausibleBody: Record<string, unknown>;
  /** Answers `text/event-stream` when it succeeds: read the headers, then hang up. */
  streams: boolean;
}

interface Case {
  label: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** The request body's properties, following `$ref` and `allOf`. */
function fieldsOf(doc: OpenApiDocument, schema: SchemaObject | undefined, depth = 0): string[] {
  if (!schema || depth > 5) return [];
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return fieldsOf(doc, doc.components.schemas[name], depth + 1);
  }
  const own = Object.keys(schema.properties ?? {});
  const combined = [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
  return [...new Set([...own, ...combined.flatMap((part) => fieldsOf(doc, part, depth + 1))])];
}

/** A value the schema describes: its example, its first enum value, or one of its type. */
function plausibleValue(
  doc: OpenApiDocument,
  schema: SchemaObject | undefined,
  depth = 0,
): unknown {
  if (!schema || depth > 5) return null;
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return plausibleValue(doc, doc.components.schemas[name], depth + 1);
  }
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  const parts = [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
  if (parts.length > 0) return plausibleValue(doc, parts[0], depth + 1);
  switch (schema.type) {
    case 'string':
      return (
        { uuid: UNKNOWN_UUID, 'date-time': '2031-01-01T00:00:00Z', password: 'fuzzed pass phrase' }[
          schema.format ?? ''
        ] ?? 'fuzz'
      );
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'array':
      return [plausibleValue(doc, schema.items, depth + 1)];
    default:
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([key, property]) => [
          key,
          plausibleValue(doc, property, depth + 1),
        ]),
      );
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation = item[method.toLowerCase() as Lowercase<Method>];
      if (!operation) continue;
      const parameters = operation.parameters ?? [];
      const content = operation.requestBody?.content ?? {};
      const bodyType = content['application/json']
        ? 'json'
        : content['application/x-www-form-urlencoded']
          ? 'form'
          : null;
      const schema = Object.values(content)[0]?.schema;
      operations.push({
        method,
        template,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query'),
        bodyType,
        bodyFields: fieldsOf(doc, schema),
        plausibleBody: asRecord(plausibleValue(doc, schema)),
        streams: Object.values(operation.responses).some(
          (response) => response.content?.['text/event-stream'] !== undefined,
        ),
      });
    }
  }
  return operations;
}

// ---------------------------------------------------------------------------------------------
// Values

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString'];

/** `depth` arrays or objects inside one another, as JSON text (the parser takes any depth). */
function nestedJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array'
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Values of every JSON type, the hostile, the huge and the deeply nested among them, as JSON. */
const jsonValue: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null'),
  fc.constantFrom(
    'null',
    'true',
    '0',
    '-1',
    '1e308',
    '-1e308',
    '99999999999999999999999999',
    '0.5',
    '""',
    '" "',
    '"\\u0000"',
    '"\\ud800"',
    '[]',
    '{}',
    '[null]',
    '{"__proto__":{"admin":true}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    '"__proto__"',
    '"constructor"',
    JSON.stringify(UNKNOWN_UUID),
    '"not-a-uuid"',
    '"2026-13-45T25:61:00Z"',
    '"a@b"',
    '"http://169.254.169.254/latest/meta-data"',
  ),
  fc.integer({ min: 1000, max: 60_000 }).map((n) => JSON.stringify('x'.repeat(n))),
  fc.integer({ min: 1000, max: 5000 }).map((n) => JSON.stringify(Array(n).fill('a'))),
  fc
    .tuple(
      fc.integer({ min: 100, max: 5000 }),
      fc.constantFrom('array' as const, 'object' as const),
    )
    .map(([depth, kind]) => nestedJson(depth, kind)),
);

/** Path segments: invalid ids of every sort, hostile names, huge ones, and a valid unknown id. */
const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    UNKNOWN_UUID,
    UNKNOWN_UUID_V4,
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'not-a-uuid',
    '__proto__',
    'constructor',
    'prototype',
    '0',
    '-1',
    '1e308',
    'null',
    'undefined',
    'true',
    '%00',
    '%zz',
    '%2e%2e',
    '..',
    '%F0%9F%A6%8A',
    "'; DROP TABLE users; --",
    `${UNKNOWN_UUID}x`,
    UNKNOWN_UUID.replace(/-/g, ''),
    `{${UNKNOWN_UUID}}`,
    UNKNOWN_UUID.toUpperCase(),
  ),
  fc.integer({ min: 90, max: 5000 }).map((n) => 'a'.repeat(n)),
  fc.string({ minLength: 1, maxLength: 40 }).map((s) => encodeURIComponent(s)),
);

/** Query strings: wrong types for the operation's parameters and hostile extra keys. */
function queryString(operation: Operation): fc.Arbitrary<string> {
  const names = [...operation.queryParams.map((p) => p.name), ...HOSTILE_KEYS, 'limit', 'cursor'];
  const value = fc.oneof(
    fc.constantFrom(
      '',
      '-1',
      '0',
      '1e308',
      'NaN',
      'abc',
      'true',
      '%zz',
      'x'.repeat(5000),
      UNKNOWN_UUID,
      '[object Object]',
    ),
    fc.string({ maxLength: 30 }).map((s) => encodeURIComponent(s)),
  );
  const pair = fc.oneof(
    fc.tuple(fc.constantFrom(...names), value).map(([name, v]) => `${name}=${v}`),
    fc
      .tuple(fc.constantFrom(...names), fc.constantFrom(...HOSTILE_KEYS), value)
      .map(([name, key, v]) => `${name}[${key}]=${v}`),
    fc.constantFrom(...names).map((name) => `${name}=1&${name}=2`),
  );
  return fc.array(pair, { minLength: 0, maxLength: 4 }).map((pairs) => pairs.join('&'));
}

/** A JSON object aimed at the body's fields: each gets some value, often of the wrong type. */
function jsonObject(operation: Operation): fc.Arbitrary<string> {
  const fields = [...operation.bodyFields, ...HOSTILE_KEYS, 'unexpected_field'];
  return fc
    .array(fc.tuple(fc.constantFrom(...fields), jsonValue), { minLength: 1, maxLength: 5 })
    .map((pairs) => `{${pairs.map(([key, v]) => `${JSON.stringify(key)}:${v}`).join(',')}}`);
}

/**
 * The plausible body with up to two of its fields replaced by hostile values, or left as it is:
 * cases that get past the validation pipe into the services.
 */
function plausibleObject(operation: Operation): fc.Arbitrary<string> {
  const fields = Object.keys(operation.plausibleBody);
  const replaced =
    fields.length === 0
      ? fc.constant<string[]>([])
      : fc.subarray(fields, { minLength: 0, maxLength: Math.min(2, fields.length) });
  return fc.tuple(replaced, jsonValue, jsonValue).map(([names, first, second]) => {
    const entries = Object.entries(operation.plausibleBody).map(([key, value]) => {
      const index = names.indexOf(key);
      const text = index === 0 ? first : index === 1 ? second : JSON.stringify(value);
      return `${JSON.stringify(key)}:${text}`;
    });
    return `{${entries.join(',')}}`;
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** The body and its content type: JSON of the wrong shape, broken JSON, other media types. */
function body(operation: Operation): fc.Arbitrary<Pick<Case, 'headers' | 'payload' | 'label'>> {
  const json = (label: string, text: fc.Arbitrary<string>) =>
    text.map((payload) => ({ label, headers: JSON_TYPE, payload }));
  return fc.oneof(
    json('plausible json', plausibleObject(operation)),
    json('plausible json', plausibleObject(operation)),
    json('json object', jsonObject(operation)),
    json('json value', jsonValue),
    json(
      'broken json',
      fc.oneof(
        fc.constantFrom('{', '{"a":}', '{"a" 1}', '[1,]', "{'a':1}", 'nul', '\u0000', '{"a":1}}'),
        jsonObject(operation).map((text) => text.slice(0, Math.max(1, text.length - 2))),
      ),
    ),
    fc.constant({
      label: 'invalid UTF-8',
      headers: JSON_TYPE,
      payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    }),
    fc.constant({ label: 'json with BOM', headers: JSON_TYPE, payload: '\ufeff{}' }),
    fc.constant({
      label: 'over the body limit',
      headers: JSON_TYPE,
      payload: JSON.stringify({ a: 'x'.repeat(70 * 1024) }),
    }),
    fc
      .tuple(
        fc.constantFrom(
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
          'application/json-patch+json',
          'APPLICATION/JSON',
          'application/*',
          'application/json, text/plain',
          ';;;',
          'application/x-www-form-urlencoded; charset=iso-8859-1',
        ),
        fc.oneof(
          jsonObject(operation),
          fc.constantFrom(
            '__proto__[admin]=1&constructor[prototype][admin]=1',
            'grant_type=client_credentials&grant_type=password',
            'a=%zz',
            `token=${'x'.repeat(70 * 1024)}`,
            '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
          ),
        ),
      )
      .map(([type, payload]) => ({
        label: `content type ${type}`,
        headers: { 'content-type': type },
        payload,
      })),
    fc.constant({ label: 'no body', headers: {}, payload: undefined }),
  );
}

function cases(operation: Operation): fc.Arbitrary<Case> {
  const segments = fc.array(pathSegment, {
    minLength: operation.pathParams.length,
    maxLength: operation.pathParams.length,
  });
  const withBody = operation.bodyType !== null || operation.method !== 'GET';
  return fc
    .tuple(
      segments,
      queryString(operation),
      withBody ? body(operation) : fc.constant({ label: 'no body', headers: {} }),
    )
    .map(([values, query, payload]) => {
      let path = operation.template;
      operation.pathParams.forEach((name, index) => {
        path = path.replace(`{${name}}`, values[index]);
      });
      return { ...payload, path, query };
    });
}

/** What an anonymous caller sends instead of a token, every other case. */
const FORGED_AUTHORIZATION = [
  'Bearer',
  'Bearer ',
  'Bearer not.a.jwt',
  `Bearer ${'x'.repeat(8000)}`,
  // {"alg":"none","typ":"at+jwt"}.{"sub":"admin"}.
  'Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJhZG1pbiJ9.',
  'Basic',
  'Basic %%%',
  `Basic ${Buffer.from('__proto__:constructor').toString('base64')}`,
  'Digest username="admin"',
  'bearer\u0000x',
];

// ---------------------------------------------------------------------------------------------
// What no answer may contain

const STACK_TRACE = [/\n\s+at \S/, /\bat [\w.<>$]+ \([^)]*:\d+:\d+\)/, /node_modules\//];
const DATABASE_TEXT = [
  /QueryFailedError|TypeORM|EntityNotFound|EntityMetadata/i,
  /relation "[^"]*" does not exist/,
  /column "[^"]*"/,
  /syntax error at or near/,
  /invalid input syntax for/,
  /violates (unique|foreign key|check|not-null) constraint/,
  /duplicate key value/,
  /\bSELECT\b[\s\S]{0,200}\bFROM\b/,
  /\b(INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b/,
  /\bpg(boss)?\.\w+|pg_catalog|SQLSTATE/,
];

interface Answer {
  statusCode: number;
  headers: OutgoingHttpHeaders;
  body: string;
}

function problemsOf(operation: Operation, answer: Answer, path: string): string[] {
  const problems: string[] = [];
  const { statusCode, body } = answer;
  if (statusCode >= 500) problems.push(`answered ${statusCode}`);
  if (STACK_TRACE.some((pattern) => pattern.test(body))) problems.push('stack trace in the body');
  if (DATABASE_TEXT.some((pattern) => pattern.test(body))) problems.push('database text in body');
  if (statusCode < 400) return problems;
  const type = String(answer.headers['content-type'] ?? '');
  if (operation.template.startsWith('/oauth')) {
    // RFC 6749 §5.2 (and RFC 7009, 7662): a JSON object naming the error.
    let error: unknown;
    try {
      error = (JSON.parse(body) as { error?: unknown }).error;
    } catch {
      error = undefined;
    }
    if (!/^application\/json/.test(type) || typeof error !== 'string') {
      problems.push(`OAuth error not RFC 6749 JSON (${type})`);
    }
    return problems;
  }
  // Where the request really went: `..` segments of a fuzzed path can lead out of /scim/v2.
  if (new URL(path, 'http://gatehouse.test').pathname.startsWith('/scim/v2/')) {
    // RFC 7644 §3.12: the SCIM error message, its status a string.
    let status: unknown;
    try {
      status = (JSON.parse(body) as { status?: unknown }).status;
    } catch {
      status = undefined;
    }
    if (!/^application\/scim\+json/.test(type) || status !== String(statusCode)) {
      problems.push(`SCIM error not RFC 7644 JSON (${type})`);
    }
    return problems;
  }
  if (!PROBLEM.test(type)) {
    problems.push(`error is ${type || 'untyped'}, not problem+json`);
    return problems;
  }
  try {
    const problem = JSON.parse(body) as { status?: unknown; code?: unknown };
    if (problem.status !== statusCode || typeof problem.code !== 'string') {
      problems.push('problem body does not match its status');
    }
  } catch {
    problems.push('problem+json body is not JSON');
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

type Caller = 'anonymous' | 'user' | 'admin';

describe('the OpenAPI document, fuzzed', () => {
  let t: TestApp;
  let operations: Operation[];
  const sessions = {} as Record<Exclude<Caller, 'anonymous'>, SignedInUser>;

  beforeAll(async () => {
    t = await startTestApp({
      // Wrong current passwords are part of the fuzzing; the accounts must still sign in after.
      env: {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
        LOGIN_MAX_FAILURES_PER_ACCOUNT_TOTAL: '100000',
      },
    });
    const res = await t.inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(res.statusCode).toBe(200);
    operations = operationsOf(res.json<OpenApiDocument>());
    sessions.user = await signedInUser(t);
    sessions.admin = await signedInAdmin(t);
  });
  afterAll(() => t.close());

  it('serves a document with every operation of the API', () => {
    expect(operations.length).toBeGreaterThanOrEqual(60);
    const templates = operations.map((o) => `${o.method} ${o.template}`);
    expect(templates).toEqual(
      expect.arrayContaining([
        'GET /v1/policies/{id}',
        'POST /oauth/token',
        'GET /v1/events/stream',
        'POST /v1/auth/register',
      ]),
    );
  });

  /** Sends one case; a stream that opens is hung up on once its headers are in. */
  async function send(operation: Operation, c: Case, token: string | null): Promise<Answer> {
    const headers = { ...c.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
    const url = c.query ? `${c.path}?${c.query}` : c.path;
    const request = {
      method: operation.method,
      url,
      headers,
      payload: c.payload,
      remoteAddress: uniqueIp(),
    };
    if (!operation.streams) {
      const res = await t.inject(request);
      return { statusCode: res.statusCode, headers: res.headers, body: res.body };
    }
    const hangUp = new AbortController();
    const res = await t.inject({ ...request, payloadAsStream: true, signal: hangUp.signal });
    if (String(res.headers['content-type']).startsWith('text/event-stream')) {
      hangUp.abort();
      return { statusCode: res.statusCode, headers: res.headers, body: '' };
    }
    const chunks: Buffer[] = [];
    for await (const chunk of res.stream()) chunks.push(Buffer.from(chunk as Buffer));
    return {
      statusCode: res.statusCode,
      headers: res.headers,
      body: Buffer.concat(chunks).toString(),
    };
  }

  /**
   * A live session for each operation: a case may end the caller's session (logout,
   * logout-all), and no operation's cases may depend on another's. The session is refreshed
   * (which also proves it live, from the database) and, once ended, replaced by a new login.
   */
  async function tokenOf(caller: Caller): Promise<string | null> {
    if (caller === 'anonymous') return null;
    const session = sessions[caller];
    const refreshed = await post(t, '/v1/auth/refresh', {
      refresh_token: session.tokens.refresh_token,
    });
    session.tokens =
      refreshed.statusCode === 200
        ? refreshed.json<TokenPairBody>()
        : await login(t, session.email, GOOD_PASSWORD);
    return session.tokens.access_token;
  }

  it.each<Caller>(['anonymous', 'user', 'admin'])(
    'as %s: every operation answers bad input with a clear 4xx, no internals',
    async (caller) => {
      const found: string[] = [];
      for (const [index, operation] of operations.entries()) {
        const token = await tokenOf(caller);
        const samples = fc.sample(cases(operation), {
          seed: SEED + index,
          numRuns: CASES_PER_OPERATION,
        });
        for (const [n, sample] of samples.entries()) {
          const forged = caller === 'anonymous' && n % 2 === 1;
          const c = forged
            ? {
                ...sample,
                label: `${sample.label}, forged credentials`,
                headers: {
                  ...sample.headers,
                  authorization: FORGED_AUTHORIZATION[n % FORGED_AUTHORIZATION.length],
                },
              }
            : sample;
          const answer = await send(operation, c, token);
          const problems = problemsOf(operation, answer, c.path);
          // A refusal is no failure of ours: nothing of it is logged as one.
          const requestId = answer.headers['x-request-id'];
          if (t.logs.some((l) => l.request_id === requestId && l.level === 'error')) {
            problems.push('logged as an error');
          }
          for (const problem of problems) {
            found.push(
              `${operation.method} ${c.path.slice(0, 120)}${c.query ? `?${c.query.slice(0, 80)}` : ''} ` +
                `[${c.label}: ${String(c.payload ?? '').slice(0, 100)}]: ${problem}: ${answer.body.slice(0, 200)}`,
            );
          }
        }
      }
      expect(found).toEqual([]);
    },
  );
});

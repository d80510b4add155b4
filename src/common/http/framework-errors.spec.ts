import Fastify, { FastifyInstance, FastifyServerOptions } from 'fastify';
import pino from 'pino';
import { frameworkErrorHandler } from './framework-errors';
import { MAX_PARAM_LENGTH } from './routing-limits';

type Lines = Record<string, unknown>[];
type Constraints = NonNullable<FastifyServerOptions['routerOptions']>['constraints'];

/** A bare Fastify with the router limit and the framework-error handler the application installs. */
function server(lines: Lines, constraints: Constraints = {}): FastifyInstance {
  const root = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return Fastify({
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, constraints },
    frameworkErrors: frameworkErrorHandler(root),
  });
}

/**
 * A route constraint derived asynchronously that fails, as a lookup whose backend is down would:
 * the one framework error no request can cause in the application itself. (find-my-way's types
 * know only the synchronous `deriveConstraint`, hence the cast.)
 */
const failingTenantConstraint = {
  tenant: {
    name: 'tenant',
    storage: () => {
      const handlers = new Map<string, unknown>();
      return {
        get: (value: string) => handlers.get(value) ?? null,
        set: (value: string, handler: unknown) => void handlers.set(value, handler),
      };
    },
    validate: () => undefined,
    deriveConstraint: (_req: unknown, _ctx: unknown, done: (err: Error | null) => void) =>
      done(new Error('tenant directory unreachable')),
    mustMatchWhenDerived: false,
  },
} as unknown as Constraints;

describe('frameworkErrorHandler', () => {
  it('answers a path parameter over the limit 414 problem+json and logs its access line', async () => {
    const lines: Lines = [];
    const fastify = server(lines);
    fastify.get('/items/:id', () => ({ ok: true }));
    const res = await fastify.inject({ method: 'GET', url: `/items/${'a'.repeat(5000)}` });
    expect(res.statusCode).toBe(414);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<{ request_id: string }>();
    expect(body).toMatchObject({ code: 'uri_too_long', status: 414 });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'request completed',
        request_id: body.request_id,
        res: expect.objectContaining({ statusCode: 414 }),
      }),
    ]);
    await fastify.close();
  });

  it('logs an unexpected one with the request id, and answers a generic 500 problem', async () => {
    const lines: Lines = [];
    const fastify = server(lines, failingTenantConstraint);
    fastify.get('/tenants/x', { constraints: { tenant: 'acme' } }, () => ({ ok: true }));
    const res = await fastify.inject({ method: 'GET', url: '/tenants/x' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json<{ request_id: string; code: string }>();
    expect(body.code).toBe('internal_error');
    expect(res.body).not.toContain('FST_');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'Unhandled error while routing the request',
        request_id: body.request_id,
        err: expect.objectContaining({ code: 'FST_ERR_ASYNC_CONSTRAINT' }),
      }),
      expect.objectContaining({ level: 50, msg: 'request completed', request_id: body.request_id }),
    ]);
    await fastify.close();
  });
});

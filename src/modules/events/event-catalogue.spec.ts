import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EVENT_CATALOGUE, EVENT_TYPES, isKnownPattern, patternMatches } from './event-catalogue';

/** Field names that would carry a secret; ids and times of secrets are fine. */
const SECRET_FIELD = /(^|_)(password|hash|secret|token|seed|code|key)s?$/;

/** Every property name a JSON Schema declares, however deeply nested. */
function propertyNames(schema: unknown): string[] {
  if (!schema || typeof schema !== 'object') return [];
  const own = (schema as { properties?: Record<string, unknown> }).properties ?? {};
  return [
    ...Object.keys(own),
    ...Object.values(schema as Record<string, unknown>).flatMap(propertyNames),
  ];
}

describe('the event catalogue', () => {
  it('names every type `<aggregate>[.<part>].<verb>` in lower case', () => {
    for (const type of EVENT_TYPES) expect(type).toMatch(/^[a-z_]+(\.[a-z_]+)+$/);
  });

  it('holds the types the seam promises', () => {
    expect(EVENT_TYPES).toEqual(
      expect.arrayContaining([
        'user.created',
        'user.updated',
        'user.email_changed',
        'user.suspended',
        'user.reactivated',
        'user.deactivated',
        'user.deleted',
        'user.password_changed',
        'user.session.created',
        'user.session.revoked',
        'user.session.refresh_reused',
        'user.mfa.enrolled',
        'user.mfa.removed',
        'user.preferences.updated',
        'user.role.granted',
        'user.role.revoked',
        'role.created',
        'policy.created',
        'client.created',
      ]),
    );
  });

  it.each(EVENT_TYPES)('documents %s with a version, a description and a JSON Schema', (type) => {
    const definition = EVENT_CATALOGUE[type];
    expect(Number.isInteger(definition.version) && definition.version >= 1).toBe(true);
    expect(definition.description).toMatch(/^[A-Z].{10,}\.$/s);
    const schema = z.toJSONSchema(definition.data, { io: 'input' }) as {
      type: string;
      additionalProperties: boolean;
    };
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
  });

  it.each(EVENT_TYPES)('carries no secret in a %s payload', (type) => {
    const names = propertyNames(z.toJSONSchema(EVENT_CATALOGUE[type].data, { io: 'input' }));
    expect(names.filter((name) => SECRET_FIELD.test(name))).toEqual([]);
  });

  it('is listed in the README, every type with its version', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const listed = new Map(
      [...readme.matchAll(/^\| `([a-z_.]+)` +\| (\d+) +\|/gm)].map(([, type, version]) => [
        type,
        Number(version),
      ]),
    );
    expect(Object.fromEntries(listed)).toEqual(
      Object.fromEntries(EVENT_TYPES.map((type) => [type, EVENT_CATALOGUE[type].version])),
    );
  });

  it('refuses fields outside a payload schema', () => {
    const schema = EVENT_CATALOGUE['user.password_changed'].data;
    const user_id = '0190a5a8-6d1b-7c3e-8f00-000000000001';
    expect(schema.safeParse({ user_id, password_hash: '$argon2id$…' }).success).toBe(false);
  });

  it.each([
    ['*', 'user.created', true],
    ['user.*', 'user.created', true],
    ['user.*', 'user.session.revoked', true],
    ['user.session.*', 'user.session.revoked', true],
    ['user.session.*', 'user.created', false],
    ['user.*', 'users.created', false],
    ['user.created', 'user.created', true],
    ['user.created', 'user.created_by', false],
  ])('matches %s against %s: %s', (pattern, type, expected) => {
    expect(patternMatches(pattern, type)).toBe(expected);
  });

  it.each([
    ['*', true],
    ['user.*', true],
    ['user.session.*', true],
    ['role.created', true],
    ['user.nothing', false],
    ['nobody.*', false],
    ['user.', false],
    ['user*', false],
    ['.*', false],
    ['USER.*', false],
    ['', false],
  ])('knows whether %j stands for any type: %s', (pattern, known) => {
    expect(isKnownPattern(pattern)).toBe(known);
  });
});

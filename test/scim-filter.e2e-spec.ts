import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { compileFilter } from '../src/modules/provisioning/scim/scim-filter';
import { matches, ScimObject } from '../src/modules/provisioning/scim/scim-filter-evaluator';
import { FilterNode } from '../src/modules/provisioning/scim/scim-filter-parser';
import { FilterSql } from '../src/modules/provisioning/scim/scim-filter-sql';
import { USER_RESOURCE } from '../src/modules/provisioning/scim/scim-schema';
import { USER_STORAGE } from '../src/modules/provisioning/scim-users.repository';
import { ENTERPRISE } from './support/scim';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The SQL a filter is translated into selects exactly the Users the plain in-memory reading of
 * RFC 7644 (`matches`) selects: random filters of the whole grammar over random Users stored in
 * the database. Strings come from a small pool (ASCII: the database folds other letters by its
 * collation), so comparisons hit as well as miss, with LIKE's wildcards and the escape character
 * among them.
 */

const WORDS = [
  'a',
  'A',
  'ab',
  'aB',
  'Ab',
  'b',
  'ba',
  'abc',
  'a%',
  'a_b',
  'x\\y',
  'Zed',
  'zed',
  '0',
];
const TYPES = ['work', 'Work', 'home', 'other'];
const BASE_TIME = Date.parse('2026-01-01T00:00:00.000Z');
const TIMES = Array.from({ length: 6 }, (_, i) =>
  new Date(BASE_TIME + i * 86_400_123).toISOString(),
);

const word = fc.constantFrom(...WORDS);

const userArbitrary = fc.record(
  {
    externalId: word,
    title: word,
    displayName: word,
    name: fc.record({ givenName: word, familyName: word }, { requiredKeys: ['givenName'] }),
    emails: fc.array(
      fc.record(
        { value: word, type: fc.constantFrom(...TYPES), primary: fc.boolean() },
        { requiredKeys: ['value'] },
      ),
      { minLength: 1, maxLength: 3 },
    ),
    [ENTERPRISE]: fc
      .record({ department: word, manager: fc.record({ value: word }) }, { requiredKeys: [] })
      .filter((e) => Object.keys(e).length > 0),
  },
  { requiredKeys: [] },
);

const stored = fc.record({
  userName: word,
  active: fc.boolean(),
  created: fc.constantFrom(...TIMES),
  modified: fc.constantFrom(...TIMES),
  attributes: userArbitrary,
});

const STRING_PATHS = [
  'userName',
  'externalId',
  'title',
  'displayName',
  'name.givenName',
  'name.familyName',
  'emails',
  'emails.value',
  'emails.type',
  `${ENTERPRISE}:department`,
  `${ENTERPRISE}:manager.value`,
  'meta.resourceType',
];
const PRESENT_PATHS = [
  ...STRING_PATHS,
  'name',
  'active',
  'emails.primary',
  `${ENTERPRISE}:manager`,
  'meta.created',
];
const ORDERING = ['gt', 'ge', 'lt', 'le'] as const;

function leaf(ids: string[]): fc.Arbitrary<FilterNode> {
  return fc.oneof(
    fc.record({ op: fc.constant('pr' as const), path: fc.constantFrom(...PRESENT_PATHS) }),
    fc.record({
      op: fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'),
      path: fc.constantFrom(...STRING_PATHS),
      value: fc.oneof(word, fc.constantFrom('', 'A%', 'B', 'User', 'user')),
    }),
    fc.record({
      op: fc.constantFrom('eq', 'ne'),
      path: fc.constantFrom('active', 'emails.primary'),
      value: fc.boolean(),
    }),
    fc.record({
      op: fc.constantFrom('eq', 'ne', ...ORDERING),
      path: fc.constantFrom('meta.created', 'meta.lastModified'),
      value: fc.constantFrom(...TIMES, '2026-01-03T12:00:00Z'),
    }),
    fc.record({
      op: fc.constantFrom('eq', 'ne'),
      path: fc.constantFrom(...PRESENT_PATHS),
      value: fc.constant(null),
    }),
    fc.record({
      op: fc.constantFrom('eq', 'ne', 'sw', 'gt'),
      path: fc.constant('id'),
      value: fc.constantFrom(...ids, ...ids.map((id) => id.toUpperCase()), ids[0].slice(0, 8)),
    }),
  );
}

const elementLeaf: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({
    op: fc.constant('pr' as const),
    path: fc.constantFrom('value', 'type', 'primary', 'display'),
  }),
  fc.record({
    op: fc.constantFrom('eq', 'ne', 'co', 'sw', 'ew', 'lt', 'ge'),
    path: fc.constantFrom('value', 'type'),
    value: fc.oneof(word, fc.constantFrom(...TYPES)),
  }),
  fc.record({
    op: fc.constantFrom('eq', 'ne'),
    path: fc.constant('primary'),
    value: fc.oneof(fc.boolean(), fc.constant(null)),
  }),
);

function combined(
  leaves: fc.Arbitrary<FilterNode>,
  extra: fc.Arbitrary<FilterNode>[] = [],
): fc.Arbitrary<FilterNode> {
  const { node } = fc.letrec<{ node: FilterNode }>((self) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaves,
      ...extra,
      fc.record({
        op: fc.constantFrom('and' as const, 'or' as const),
        left: self('node'),
        right: self('node'),
      }),
      fc.record({ op: fc.constant('not' as const), filter: self('node') }),
    ),
  }));
  return node;
}

function render(node: FilterNode): string {
  switch (node.op) {
    case 'and':
    case 'or':
      return `(${render(node.left)}) ${node.op} (${render(node.right)})`;
    case 'not':
      return `not (${render(node.filter)})`;
    case 'valuePath':
      return `${node.path}[${render(node.filter)}]`;
    case 'pr':
      return `${node.path} pr`;
    default:
      return `${node.path} ${node.op} ${JSON.stringify(node.value)}`;
  }
}

describe('SCIM filters in SQL', () => {
  let t: TestApp;
  let db: DataSource;
  const clientId = 'ghc_filter-property-test';
  const resources: ScimObject[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    const users = fc.sample(stored, { numRuns: 40, seed: 7643 });
    for (const [i, user] of users.entries()) {
      const [{ id }] = await db.query<{ id: string }[]>(
        `INSERT INTO users (email, name, status) VALUES ($1, 'Filter', 'active') RETURNING id`,
        [`filter${i}@example.com`],
      );
      const userName = `${user.userName}-${i}`;
      const { externalId: externalWord, ...attributes } = user.attributes;
      // Unique per client, as the index wants.
      const externalId = externalWord === undefined ? undefined : `${externalWord}-${i}`;
      await db.query(
        `INSERT INTO scim_users (user_id, client_id, external_id, user_name, active, attributes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          id,
          clientId,
          externalId ?? null,
          userName,
          user.active,
          attributes,
          user.created,
          user.modified,
        ],
      );
      resources.push({
        id,
        ...(externalId === undefined ? {} : { externalId }),
        userName,
        active: user.active,
        ...attributes,
        meta: { resourceType: 'User', created: user.created, lastModified: user.modified },
      });
    }
  });
  afterAll(() => t.close());

  async function selected(text: string): Promise<string[]> {
    const sql = new FilterSql(USER_STORAGE, 2);
    const where = sql.where(compileFilter(text, USER_RESOURCE));
    const rows = await db.query<{ user_id: string }[]>(
      `SELECT r.user_id FROM scim_users r WHERE r.client_id = $1 AND ${where}`,
      [clientId, ...sql.params],
    );
    return rows.map((row) => row.user_id).sort();
  }

  const expected = (text: string) => {
    const filter = compileFilter(text, USER_RESOURCE);
    return resources
      .filter((resource) => matches(resource, filter))
      .map((r) => r.id as string)
      .sort();
  };

  it('selects what the in-memory evaluator selects, for random filters', async () => {
    const ids = resources.map((r) => r.id as string);
    const valuePath = fc.record({
      op: fc.constant('valuePath' as const),
      path: fc.constant('emails'),
      filter: combined(elementLeaf),
    }) as fc.Arbitrary<FilterNode>;
    await fc.assert(
      fc.asyncProperty(combined(leaf(ids), [valuePath]), async (filter) => {
        const text = render(filter);
        expect({ text, ids: await selected(text) }).toEqual({ text, ids: expected(text) });
      }),
      { seed: 7644, numRuns: 300 },
    );
  });

  it('agrees on the cases that are easy to get wrong', async () => {
    for (const text of [
      'title ne "a"',
      'title eq null',
      'not (title pr)',
      'userName sw "a%"',
      'userName sw "a_"',
      'userName co "\\\\"',
      'emails[type eq "WORK" and not (primary eq true)]',
      'emails ew "B"',
      'meta.created gt "2026-01-02T00:00:00.123Z"',
      `${ENTERPRISE}:manager pr or name.familyName lt "b"`,
      'meta.resourceType eq "user"',
    ]) {
      expect({ text, ids: await selected(text) }).toEqual({ text, ids: expected(text) });
    }
    expect(await selected('userName sw "a%"')).not.toEqual([]);
  });
});

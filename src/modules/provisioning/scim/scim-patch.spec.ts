import { DomainError } from '../../../common/errors/domain-error';
import { normalizeResource } from './scim-document';
import { applyPatch, PatchOperation, readPatchRequest } from './scim-patch';
import { compileProjection } from './scim-projection';
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE,
  PATCH_OP_SCHEMA,
  USER_RESOURCE,
} from './scim-schema';

const user = {
  userName: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { value: 'ada@example.com', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home' },
  ],
};

const patched = (operations: PatchOperation[], document: Record<string, unknown> = user) =>
  normalizeResource(USER_RESOURCE, applyPatch(USER_RESOURCE, document, operations));

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return undefined;
}

describe('SCIM PATCH', () => {
  it('replaces the sub-attribute of the elements a filter selects, leaving the rest', () => {
    const result = patched([
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'ada@new.example' },
    ]);
    expect(result.emails).toEqual([
      { value: 'ada@new.example', type: 'work', primary: true },
      { value: 'ada@home.example', type: 'home' },
    ]);
    expect(user.emails[0].value).toBe('ada@example.com');
  });

  it('creates the element a filter of equalities names when none matches', () => {
    const result = patched([
      { op: 'add', path: 'phoneNumbers[type eq "mobile"].value', value: '+44 20 7946 0000' },
    ]);
    expect(result.phoneNumbers).toEqual([{ type: 'mobile', value: '+44 20 7946 0000' }]);
    expect(
      codeOf(() =>
        patched([{ op: 'replace', path: 'emails[type ne "work"].display', value: 'x' }], {
          ...user,
          emails: [user.emails[0]],
        }),
      ),
    ).toBe('noTarget');
  });

  it('merges a complex value into the attribute, and takes a manager given as its id', () => {
    const result = patched([
      { op: 'replace', path: 'name', value: { familyName: 'King' } },
      { op: 'add', path: `${ENTERPRISE_USER_SCHEMA}:manager`, value: 'm-1' },
      {
        op: 'add',
        path: null,
        value: { [`${ENTERPRISE_USER_SCHEMA}:department`]: 'Maths', title: 'Countess' },
      },
    ]);
    expect(result).toMatchObject({
      name: { givenName: 'Ada', familyName: 'King' },
      title: 'Countess',
      [ENTERPRISE_USER_SCHEMA]: { manager: { value: 'm-1' }, department: 'Maths' },
    });
  });

  it('keeps one primary value: the last one set', () => {
    const result = patched([
      { op: 'add', path: 'emails', value: [{ value: 'ada@third.example', primary: 'True' }] },
    ]);
    expect((result.emails as { primary?: boolean }[]).map((e) => e.primary)).toEqual([
      false,
      undefined,
      true,
    ]);
  });

  it('removes members by filter and by a list of values, and nothing when nothing matches', () => {
    const group = { displayName: 'Ops', members: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] };
    const removed = applyPatch(GROUP_RESOURCE, group, [
      { op: 'remove', path: 'members[value eq "a"]', value: undefined },
      { op: 'remove', path: 'members', value: [{ value: 'c' }] },
      { op: 'remove', path: 'members[value eq "zz"]', value: undefined },
    ]);
    expect(removed.members).toEqual([{ value: 'b' }]);
  });

  it('refuses paths to read-only and unknown attributes, except inside a value without a path', () => {
    expect(codeOf(() => patched([{ op: 'replace', path: 'meta.created', value: 'x' }]))).toBe(
      'mutability',
    );
    expect(codeOf(() => patched([{ op: 'replace', path: 'name.nope', value: 'x' }]))).toBe(
      'invalidPath',
    );
    expect(
      codeOf(() => patched([{ op: 'replace', path: 'title[value eq "x"]', value: 'x' }])),
    ).toBe('invalidPath');
    expect(
      patched([{ op: 'replace', path: null, value: { id: 'other', title: 'Dr' } }]),
    ).toMatchObject({
      title: 'Dr',
    });
  });

  it('reads the request: its schema, op in any case, a path for remove, a bound on operations', () => {
    const request = (Operations: unknown) => ({ schemas: [PATCH_OP_SCHEMA], Operations });
    expect(readPatchRequest(request([{ op: 'Replace', path: 'title', value: 'x' }]), 5)).toEqual([
      { op: 'replace', path: 'title', value: 'x' },
    ]);
    expect(codeOf(() => readPatchRequest(request([{ op: 'remove' }]), 5))).toBe('noTarget');
    expect(codeOf(() => readPatchRequest(request([{ op: 'add', path: 'x' }]), 5))).toBe(
      'invalidSyntax',
    );
    const six = Array.from({ length: 6 }, () => ({ op: 'remove', path: 'title' }));
    expect(codeOf(() => readPatchRequest(request(six), 5))).toBe('tooMany');
  });
});

describe('SCIM attributes and excludedAttributes', () => {
  const representation = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE_USER_SCHEMA],
    id: 'u-1',
    ...user,
    [ENTERPRISE_USER_SCHEMA]: { department: 'Maths', costCenter: '7' },
    meta: { resourceType: 'User' },
  };

  it('keeps what is named and what is always returned', () => {
    const project = compileProjection(USER_RESOURCE, {
      attributes: ['EMAILS.type', `${ENTERPRISE_USER_SCHEMA}:department`],
      excludedAttributes: null,
    });
    expect(project(representation)).toEqual({
      schemas: representation.schemas,
      id: 'u-1',
      emails: [{ type: 'work' }, { type: 'home' }],
      [ENTERPRISE_USER_SCHEMA]: { department: 'Maths' },
    });
  });

  it('drops what is excluded, never id or schemas', () => {
    const project = compileProjection(USER_RESOURCE, {
      attributes: null,
      excludedAttributes: ['id', 'name', 'emails.primary', ENTERPRISE_USER_SCHEMA],
    });
    const result = project(representation);
    expect(result).not.toHaveProperty('name');
    expect(result).not.toHaveProperty(ENTERPRISE_USER_SCHEMA);
    expect(result.id).toBe('u-1');
    expect(result.emails).toEqual([
      { value: 'ada@example.com', type: 'work' },
      { value: 'ada@home.example', type: 'home' },
    ]);
  });

  it('refuses a name the resource type does not have', () => {
    expect(
      codeOf(() =>
        compileProjection(USER_RESOURCE, { attributes: ['nope'], excludedAttributes: null }),
      ),
    ).toBe('invalidValue');
  });
});

import {
  actionPatternError,
  actionPatternMatches,
  parseActionPattern,
  parseResourcePattern,
  parseSubjectPattern,
  permissionError,
  resourcePatternError,
  roleNameError,
  subjectPatternError,
} from './authz-patterns';

describe('pattern grammar', () => {
  it.each([
    '*',
    'role:trader',
    'role:desk.eu-2',
    'user:0190f1e2-7a1b-7c3d-8e4f-123456789abc',
    'client:billing-sync',
    'user:a:b',
  ])('accepts the subject %j', (pattern) => {
    expect(subjectPatternError(pattern)).toBeNull();
  });

  it.each([
    ['', 'subject "" must be "*", "role:<name>", "user:<id>" or "client:<client_id>"'],
    [
      'group:x',
      'subject "group:x" must be "*", "role:<name>", "user:<id>" or "client:<client_id>"',
    ],
    ['trader', 'subject "trader" must be "*", "role:<name>", "user:<id>" or "client:<client_id>"'],
    [
      'role:',
      'role name "" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    [
      'role:Trader',
      'role name "Trader" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    [
      'role:*',
      'role name "*" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    ['user:', 'user id is empty'],
    ['user:*', 'user id "*" must not contain whitespace, control characters or "*"'],
    ['user:a b', 'user id "a b" must not contain whitespace, control characters or "*"'],
    [
      'client:x\u200by',
      'client id "x\u200by" must not contain whitespace, control characters or "*"',
    ],
    ['client:x\ny', 'client id "x\ny" must not contain whitespace, control characters or "*"'],
    [`user:${'a'.repeat(257)}`, 'user id is longer than 256 characters'],
    [`role:${'a'.repeat(65)}`, `role name "${'a'.repeat(65)}" is longer than 64 characters`],
  ])('refuses the subject %j: %s', (pattern, message) => {
    expect(subjectPatternError(pattern)).toBe(message);
  });

  it.each([
    '*',
    'trading_account:*',
    'trading_account:trade',
    'users:read',
    'billing.invoice:re-send',
  ])('accepts the action and permission %j', (pattern) => {
    expect(actionPatternError(pattern)).toBeNull();
    expect(permissionError(pattern)).toBeNull();
  });

  it.each([
    ['trade', 'action "trade" must be "*", "<type>:*" or "<type>:<verb>"'],
    [
      '*:trade',
      'action type "*" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    [
      'Users:read',
      'action type "Users" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    [
      'users:',
      'verb "" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    [
      'users:re*',
      'verb "re*" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    [
      'users:read:all',
      'verb "read:all" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    [
      ' users:read',
      'action type " users" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
  ])('refuses the action %j: %s', (pattern, message) => {
    expect(actionPatternError(pattern)).toBe(message);
    expect(permissionError(pattern)).toBe(message.replace(/^action/, 'permission'));
  });

  it.each(['*', 'document:*', 'document:123', 'document:urn:doc:9', 'trading_account:ACC-1'])(
    'accepts the resource %j',
    (pattern) => {
      expect(resourcePatternError(pattern)).toBeNull();
    },
  );

  it.each([
    ['document', 'resource "document" must be "*", "<type>:*" or "<type>:<id>"'],
    ['document:', 'resource id is empty'],
    ['document:ab*', 'resource id "ab*" must not contain whitespace, control characters or "*"'],
    ['document:a b', 'resource id "a b" must not contain whitespace, control characters or "*"'],
    [
      'Document:1',
      'resource type "Document" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
    [
      '*:1',
      'resource type "*" must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"',
    ],
  ])('refuses the resource %j: %s', (pattern, message) => {
    expect(resourcePatternError(pattern)).toBe(message);
  });

  it('validates role names with the grammar of role:<name>', () => {
    expect(roleNameError('admin')).toBeNull();
    expect(roleNameError('ops.eu_2-b')).toBeNull();
    expect(roleNameError('Admin')).toMatch(/^role name "Admin" must start with a lowercase letter/);
  });

  it('parses each form, splitting at the first colon', () => {
    expect(parseSubjectPattern('*')).toEqual({ kind: 'anyone' });
    expect(parseSubjectPattern('role:trader')).toEqual({ kind: 'role', role: 'trader' });
    expect(parseSubjectPattern('user:a:b')).toEqual({ kind: 'user', id: 'a:b' });
    expect(parseSubjectPattern('client:c')).toEqual({ kind: 'client', id: 'c' });
    expect(parseActionPattern('*')).toEqual({ kind: 'any' });
    expect(parseActionPattern('users:*')).toEqual({ kind: 'type', type: 'users' });
    expect(parseActionPattern('users:read')).toEqual({ kind: 'exact', action: 'users:read' });
    expect(parseResourcePattern('*')).toEqual({ kind: 'any' });
    expect(parseResourcePattern('doc:*')).toEqual({ kind: 'type', type: 'doc' });
    expect(parseResourcePattern('doc:a:1')).toEqual({ kind: 'exact', type: 'doc', id: 'a:1' });
  });

  it('matches type-wide action patterns on the whole type name', () => {
    const users = { kind: 'type', type: 'users' } as const;
    expect(actionPatternMatches(users, 'users:read')).toBe(true);
    expect(actionPatternMatches(users, 'users_admin:read')).toBe(false);
    expect(actionPatternMatches(users, 'users')).toBe(false);
    expect(actionPatternMatches(users, 'user:read')).toBe(false);
  });
});

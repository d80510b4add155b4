/**
 * The pattern grammar of policies and role permissions. Validators return null for valid input
 * or a message an admin can act on; parsers return the parsed form or that same message.
 *
 *   name       [a-z][a-z0-9_.-]*, at most 64 characters: resource and action types, verbs, roles
 *   id         1 to 256 characters, none of them whitespace, a control or format character, or
 *              `*`: user, client and resource ids (`*` is refused so that `document:ab*` cannot
 *              pass for a prefix wildcard; an id may contain `:`, only the first one separates)
 *   subject    `*` | `role:<name>` | `user:<id>` | `client:<id>`
 *   action     `*` | `<name>:*` | `<name>:<name>`      (a permission has the same form)
 *   resource   `*` | `<name>:*` | `<name>:<id>`
 */

export type SubjectPattern =
  | { kind: 'anyone' }
  | { kind: 'role'; role: string }
  | { kind: 'user'; id: string }
  | { kind: 'client'; id: string };

export type ActionPattern =
  { kind: 'any' } | { kind: 'type'; type: string } | { kind: 'exact'; action: string };

export type ResourcePattern =
  { kind: 'any' } | { kind: 'type'; type: string } | { kind: 'exact'; type: string; id: string };

export const MAX_NAME_LENGTH = 64;
export const MAX_ID_LENGTH = 256;

const NAME = /^[a-z][a-z0-9_.-]*$/;
const COLON = 0x3a;
const ID_FORBIDDEN = /[\s\p{Cc}\p{Cf}\p{Cs}*]/u;

function nameError(what: string, value: string): string | null {
  if (value.length > MAX_NAME_LENGTH) {
    return `${what} "${value}" is longer than ${MAX_NAME_LENGTH} characters`;
  }
  if (!NAME.test(value)) {
    return (
      `${what} "${value}" must start with a lowercase letter and contain only lowercase ` +
      'letters, digits, "_", "." and "-"'
    );
  }
  return null;
}

function idError(what: string, value: string): string | null {
  if (value === '') return `${what} is empty`;
  if (value.length > MAX_ID_LENGTH) return `${what} is longer than ${MAX_ID_LENGTH} characters`;
  if (ID_FORBIDDEN.test(value)) {
    return `${what} "${value}" must not contain whitespace, control characters or "*"`;
  }
  return null;
}

/** `prefix:rest` split at the first colon, or null when there is none. */
function splitAtColon(value: string): [string, string] | null {
  const colon = value.indexOf(':');
  return colon === -1 ? null : [value.slice(0, colon), value.slice(colon + 1)];
}

export function roleNameError(name: string): string | null {
  return nameError('role name', name);
}

export function parseSubjectPattern(pattern: string): SubjectPattern | string {
  if (pattern === '*') return { kind: 'anyone' };
  const parts = splitAtColon(pattern);
  switch (parts?.[0]) {
    case 'role':
      return nameError('role name', parts[1]) ?? { kind: 'role', role: parts[1] };
    case 'user':
      return idError('user id', parts[1]) ?? { kind: 'user', id: parts[1] };
    case 'client':
      return idError('client id', parts[1]) ?? { kind: 'client', id: parts[1] };
    default:
      return `subject "${pattern}" must be "*", "role:<name>", "user:<id>" or "client:<client_id>"`;
  }
}

function parseActionLike(what: string, pattern: string): ActionPattern | string {
  if (pattern === '*') return { kind: 'any' };
  const parts = splitAtColon(pattern);
  if (parts === null) {
    return `${what} "${pattern}" must be "*", "<type>:*" or "<type>:<verb>"`;
  }
  const [type, verb] = parts;
  const error = nameError(`${what} type`, type) ?? (verb === '*' ? null : nameError('verb', verb));
  if (error !== null) return error;
  return verb === '*' ? { kind: 'type', type } : { kind: 'exact', action: pattern };
}

export function parseActionPattern(pattern: string): ActionPattern | string {
  return parseActionLike('action', pattern);
}

export function parsePermission(permission: string): ActionPattern | string {
  return parseActionLike('permission', permission);
}

export function parseResourcePattern(pattern: string): ResourcePattern | string {
  if (pattern === '*') return { kind: 'any' };
  const parts = splitAtColon(pattern);
  if (parts === null) {
    return `resource "${pattern}" must be "*", "<type>:*" or "<type>:<id>"`;
  }
  const [type, id] = parts;
  const error =
    nameError('resource type', type) ?? (id === '*' ? null : idError('resource id', id));
  if (error !== null) return error;
  return id === '*' ? { kind: 'type', type } : { kind: 'exact', type, id };
}

const errorOf = (parsed: object | string): string | null =>
  typeof parsed === 'string' ? parsed : null;

export function subjectPatternError(pattern: string): string | null {
  return errorOf(parseSubjectPattern(pattern));
}

export function actionPatternError(pattern: string): string | null {
  return errorOf(parseActionPattern(pattern));
}

export function resourcePatternError(pattern: string): string | null {
  return errorOf(parseResourcePattern(pattern));
}

export function permissionError(permission: string): string | null {
  return errorOf(parsePermission(permission));
}

/**
 * Whether an action pattern covers a requested action, which need not be well formed: `type:*`
 * covers whatever starts with `type:`, as the index's lookup by the text before the first colon.
 */
export function actionPatternMatches(pattern: ActionPattern, action: string): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'type':
      return action.startsWith(pattern.type) && action.charCodeAt(pattern.type.length) === COLON;
    case 'exact':
      return action === pattern.action;
  }
}

export function resourcePatternMatches(
  pattern: ResourcePattern,
  resource: { type: string; id?: string },
): boolean {
  switch (pattern.kind) {
    case 'any':
      return true;
    case 'type':
      return resource.type === pattern.type;
    case 'exact':
      return resource.type === pattern.type && resource.id === pattern.id;
  }
}

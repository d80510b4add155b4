import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';
import { extensionNamed } from './scim-attribute-path';
import { ScimObject } from './scim-filter-evaluator';
import {
  AttributeDefinition,
  COMMON_ATTRIBUTES,
  findAttribute,
  ResourceTypeDefinition,
} from './scim-schema';

/** Bounds on what one resource may hold. */
export const MAX_STRING_LENGTH = 2048;
export const MAX_VALUES = 100;
/** A group's members are its role's holders: many more than a person's addresses. */
export const MAX_MEMBERS = 10_000;

function invalidValue(detail: string): DomainError {
  return new DomainError(ScimErrorCode.InvalidValue, detail);
}

const isObject = (value: unknown): value is ScimObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Entra ID sends booleans as the strings "True" and "False" in PATCH values: read them as the
 * booleans they mean.
 */
function booleanOf(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  throw invalidValue(`"${name}" must be true or false.`);
}

function simpleValue(definition: AttributeDefinition, value: unknown, name: string): unknown {
  switch (definition.type) {
    case 'boolean':
      return booleanOf(value, name);
    case 'string':
    case 'reference':
      if (typeof value !== 'string') throw invalidValue(`"${name}" must be a string.`);
      if (value.length > MAX_STRING_LENGTH) {
        throw invalidValue(`"${name}" is longer than ${MAX_STRING_LENGTH} characters.`);
      }
      return value === '' ? undefined : value;
    default:
      throw invalidValue(`"${name}" cannot be written.`);
  }
}

/** A complex value: its writable sub-attributes under their canonical names. */
function complexValue(definition: AttributeDefinition, value: unknown, name: string): unknown {
  if (!isObject(value)) throw invalidValue(`"${name}" must be an object.`);
  const result: ScimObject = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = findAttribute(definition.subAttributes, key);
    if (!sub) throw invalidValue(`"${name}" has no sub-attribute "${key}".`);
    if (sub.mutability === 'readOnly' || raw === null) continue;
    const normalized = simpleValue(sub, raw, `${name}.${sub.name}`);
    if (normalized !== undefined) result[sub.name] = normalized;
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

/** One attribute's value, normalized: undefined when it holds nothing (null, "", [], {}). */
export function attributeValue(
  definition: AttributeDefinition,
  value: unknown,
  name: string,
): unknown {
  if (value === null || value === undefined) return undefined;
  if (!definition.multiValued) {
    return definition.type === 'complex'
      ? complexValue(definition, value, name)
      : simpleValue(definition, value, name);
  }
  if (!Array.isArray(value)) throw invalidValue(`"${name}" must be an array.`);
  const limit = definition.name === 'members' ? MAX_MEMBERS : MAX_VALUES;
  if (value.length > limit) throw invalidValue(`"${name}" holds more than ${limit} values.`);
  const elements = value
    .map((element) =>
      definition.type === 'complex'
        ? complexValue(definition, element, name)
        : simpleValue(definition, element, name),
    )
    .filter((element) => element !== undefined);
  const seen = new Set<string>();
  const unique = elements.filter((element) => {
    const key = JSON.stringify(element);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // RFC 7643 §2.4: at most one value is primary; the last one set wins.
  const primaries = unique.filter((e) => isObject(e) && e.primary === true);
  for (const earlier of primaries.slice(0, -1)) (earlier as ScimObject).primary = false;
  return unique.length > 0 ? unique : undefined;
}

/** The attributes of one schema in `body`, normalized into `into`. */
function schemaAttributes(
  attributes: readonly AttributeDefinition[],
  body: ScimObject,
  into: ScimObject,
  prefix: string,
): void {
  for (const [key, raw] of Object.entries(body)) {
    const definition = findAttribute(attributes, key);
    if (!definition) throw invalidValue(`"${prefix}${key}" is not an attribute of this resource.`);
    if (definition.mutability === 'readOnly') continue;
    const value = attributeValue(definition, raw, `${prefix}${definition.name}`);
    if (value === undefined) delete into[definition.name];
    else into[definition.name] = value;
  }
}

/**
 * A resource as a client writes it (POST, PUT, or what a PATCH leaves), checked against the
 * resource type and normalized: attribute names as the schema spells them, extensions under
 * their URN, booleans as booleans, empty values and read-only attributes (`id`, `meta`,
 * `groups`, which RFC 7643 says a client's values of are ignored) left out. An attribute the
 * type does not have, or a value of the wrong type, is a 400 `invalidValue` naming it.
 * `schemas` is checked when present (required on POST and PUT, by the caller).
 */
export function normalizeResource(resource: ResourceTypeDefinition, body: unknown): ScimObject {
  if (!isObject(body))
    throw new DomainError(ScimErrorCode.InvalidSyntax, 'The body must be a JSON object.');
  const core: ScimObject = {};
  const rest: ScimObject = {};
  const attributes = [...COMMON_ATTRIBUTES, ...resource.schema.attributes];
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') continue;
    const extension = extensionNamed(resource, key);
    if (extension) {
      if (value === null) continue;
      if (!isObject(value)) throw invalidValue(`"${extension}" must be an object.`);
      const values: ScimObject = {};
      schemaAttributes(
        resource.extensions.find((s) => s.id === extension)!.attributes,
        value,
        values,
        `${extension}:`,
      );
      if (Object.keys(values).length > 0) rest[extension] = values;
    } else {
      core[key] = value;
    }
  }
  const result: ScimObject = {};
  schemaAttributes(attributes, core, result, '');
  return { ...result, ...rest };
}

/** Checks `schemas` of a full resource: the core schema, and only schemas of the type. */
export function checkSchemas(resource: ResourceTypeDefinition, body: unknown): void {
  const schemas = isObject(body) ? body.schemas : undefined;
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === 'string')) {
    throw new DomainError(
      ScimErrorCode.InvalidSyntax,
      '"schemas" must be an array of schema URNs.',
    );
  }
  const known = [resource.schema, ...resource.extensions].map((s) => s.id.toLowerCase());
  const unknown = schemas.find((s) => !known.includes(s.toLowerCase()));
  if (unknown) throw invalidValue(`"${unknown}" is not a schema of ${resource.name}.`);
  if (!schemas.some((s) => s.toLowerCase() === resource.schema.id.toLowerCase())) {
    throw invalidValue(`"schemas" must include ${resource.schema.id}.`);
  }
}

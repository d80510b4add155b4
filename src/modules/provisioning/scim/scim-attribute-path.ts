import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';
import {
  AttributeDefinition,
  COMMON_ATTRIBUTES,
  findAttribute,
  ResourceTypeDefinition,
} from './scim-schema';

/** An attribute of a resource type, as a filter, a PATCH path or `attributes` names it. */
export interface AttributePath {
  /** The extension schema holding the attribute; null for core and common attributes. */
  extension: string | null;
  attribute: AttributeDefinition;
  /** The sub-attribute of a complex attribute, when named. */
  sub: AttributeDefinition | null;
}

const ATTRIBUTE_NAME = /^[A-Za-z$][\w$-]*$/;

/** The attribute's name as responses spell it: `name.givenName`, `urn:…:User:department`. */
export function pathName(path: AttributePath): string {
  const local = path.sub ? `${path.attribute.name}.${path.sub.name}` : path.attribute.name;
  return path.extension ? `${path.extension}:${local}` : local;
}

/**
 * The extension a name stands for as a whole (`urn:…:enterprise:2.0:User`), compared
 * case-insensitively; undefined for any other name.
 */
export function extensionNamed(resource: ResourceTypeDefinition, name: string): string | undefined {
  const lower = name.toLowerCase();
  return resource.extensions.find((s) => s.id.toLowerCase() === lower)?.id;
}

/**
 * Resolves `[URN ":"] ATTRNAME ["." subAttr]` (RFC 7644 §3.10) against a resource type, names
 * compared case-insensitively. A name the type does not have is refused with `code`
 * (`invalidFilter` in a filter, `invalidPath` in a PATCH path…), naming it.
 */
export function resolveAttributePath(
  resource: ResourceTypeDefinition,
  raw: string,
  code: ScimErrorCode,
): AttributePath {
  const unknown = (why: string) =>
    new DomainError(code, `"${raw}" is not an attribute of ${resource.name}: ${why}.`);
  let rest = raw;
  let extension: string | null = null;
  let attributes: readonly AttributeDefinition[] = [
    ...COMMON_ATTRIBUTES,
    ...resource.schema.attributes,
  ];
  if (raw.toLowerCase().startsWith('urn:')) {
    const schema = [resource.schema, ...resource.extensions].find((s) =>
      raw.toLowerCase().startsWith(`${s.id.toLowerCase()}:`),
    );
    if (!schema) throw unknown('no schema of this resource type has that URN');
    rest = raw.slice(schema.id.length + 1);
    extension = schema === resource.schema ? null : schema.id;
    attributes = schema.attributes;
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((part) => ATTRIBUTE_NAME.test(part))) {
    throw unknown('not an attribute name');
  }
  const attribute = findAttribute(attributes, parts[0]);
  if (!attribute) throw unknown(`there is no attribute "${parts[0]}"`);
  if (parts.length === 1) return { extension, attribute, sub: null };
  const sub = findAttribute(attribute.subAttributes, parts[1]);
  if (!sub) throw unknown(`"${attribute.name}" has no sub-attribute "${parts[1]}"`);
  return { extension, attribute, sub };
}

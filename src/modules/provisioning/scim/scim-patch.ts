import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';
import {
  AttributePath,
  extensionNamed,
  pathName,
  resolveAttributePath,
} from './scim-attribute-path';
import { compileElementFilter, ElementFilter } from './scim-filter';
import { elementMatches, ScimObject } from './scim-filter-evaluator';
import { parsePatchPath } from './scim-filter-parser';
import {
  AttributeDefinition,
  findAttribute,
  PATCH_OP_SCHEMA,
  ResourceTypeDefinition,
} from './scim-schema';

export type PatchOp = 'add' | 'replace' | 'remove';

export interface PatchOperation {
  op: PatchOp;
  path: string | null;
  value: unknown;
}

const isObject = (value: unknown): value is ScimObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const syntax = (detail: string) => new DomainError(ScimErrorCode.InvalidSyntax, detail);

/** A member of a JSON object whose name is `name`, compared case-insensitively. */
function member(body: ScimObject, name: string): unknown {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

/**
 * Reads a PatchOp request (RFC 7644 §3.5.2): its schema, and up to `maxOperations` operations
 * whose `op` is add, replace or remove in any case (Entra ID capitalizes them).
 */
export function readPatchRequest(body: unknown, maxOperations: number): PatchOperation[] {
  if (!isObject(body)) throw syntax('The body must be a JSON object.');
  const schemas = member(body, 'schemas');
  if (
    !Array.isArray(schemas) ||
    !schemas.some((s) => String(s).toLowerCase() === PATCH_OP_SCHEMA.toLowerCase())
  ) {
    throw syntax(`"schemas" must be ["${PATCH_OP_SCHEMA}"].`);
  }
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw syntax('"Operations" must be a non-empty array.');
  }
  if (operations.length > maxOperations) {
    throw new DomainError(
      ScimErrorCode.TooMany,
      `A PATCH holds at most ${maxOperations} operations.`,
    );
  }
  return operations.map((operation, i) => {
    if (!isObject(operation)) throw syntax(`Operations[${i}] must be an object.`);
    const op = member(operation, 'op');
    const path = member(operation, 'path');
    const value = member(operation, 'value');
    if (typeof op !== 'string' || !['add', 'replace', 'remove'].includes(op.toLowerCase())) {
      throw syntax(`Operations[${i}].op must be add, replace or remove.`);
    }
    if (path !== undefined && typeof path !== 'string')
      throw syntax(`Operations[${i}].path must be a string.`);
    const kind = op.toLowerCase() as PatchOp;
    if (kind === 'remove' && path === undefined) {
      throw new DomainError(ScimErrorCode.NoTarget, `Operations[${i}]: remove needs a path.`);
    }
    if (kind !== 'remove' && value === undefined)
      throw syntax(`Operations[${i}]: ${kind} needs a value.`);
    return { op: kind, path: path ?? null, value };
  });
}

/** The values of the `eq` comparisons a filter is a conjunction of; null for any other filter. */
function equalities(filter: ElementFilter): ScimObject | null {
  if (filter.op === 'eq' && filter.value !== null) return { [filter.sub.name]: filter.value };
  if (filter.op !== 'and') return null;
  const left = equalities(filter.left);
  const right = equalities(filter.right);
  return left && right ? { ...left, ...right } : null;
}

/**
 * Applies PATCH operations to a copy of a resource's writable representation (attribute names
 * as the schema spells them, extensions under their URN) and returns it; the caller normalizes
 * and validates the result as it would a PUT. A path the type does not have is a 400
 * `invalidPath`, one naming a read-only attribute `mutability`; a filtered `add`/`replace` that
 * selects nothing creates the element when the filter is made of `eq` conditions (as
 * `emails[type eq "work"].value` means to Entra ID and Okta), else is `noTarget`; a `remove` that
 * selects nothing changes nothing.
 */
export function applyPatch(
  resource: ResourceTypeDefinition,
  document: ScimObject,
  operations: PatchOperation[],
): ScimObject {
  const result = structuredClone(document);
  for (const operation of operations)
    new Operation(resource, result, operation.op).run(operation.path, operation.value);
  return result;
}

class Operation {
  constructor(
    private readonly resource: ResourceTypeDefinition,
    private readonly document: ScimObject,
    private readonly op: PatchOp,
  ) {}

  run(path: string | null, value: unknown): void {
    if (path === null) {
      if (!isObject(value)) {
        throw new DomainError(
          ScimErrorCode.InvalidValue,
          `Without a path, the value of ${this.op} must be an object of attributes.`,
        );
      }
      for (const [key, inner] of Object.entries(value)) {
        if (key.toLowerCase() !== 'schemas') this.atPath(key, inner, true);
      }
      return;
    }
    this.atPath(path, value, false);
  }

  /** `lenient`: a read-only attribute among a value's members is ignored, as in a PUT. */
  private atPath(text: string, value: unknown, lenient: boolean): void {
    const extension = extensionNamed(this.resource, text);
    if (extension) {
      if (this.op === 'remove') {
        delete this.document[extension];
        return;
      }
      if (!isObject(value))
        throw new DomainError(ScimErrorCode.InvalidValue, `"${extension}" must be an object.`);
      for (const [key, inner] of Object.entries(value))
        this.atPath(`${extension}:${key}`, inner, true);
      return;
    }
    const node = parsePatchPath(text);
    const path = resolveAttributePath(this.resource, node.path, ScimErrorCode.InvalidPath);
    let filter: ElementFilter | null = null;
    let sub = path.sub;
    if (node.filter) {
      if (path.sub || path.attribute.type !== 'complex' || !path.attribute.multiValued) {
        throw new DomainError(
          ScimErrorCode.InvalidPath,
          `"${pathName(path)}" is not a multi-valued complex attribute.`,
        );
      }
      try {
        filter = compileElementFilter(node.filter, path.attribute);
      } catch (error) {
        if (error instanceof DomainError)
          throw new DomainError(ScimErrorCode.InvalidPath, error.detail);
        throw error;
      }
      if (node.sub) {
        sub = findAttribute(path.attribute.subAttributes, node.sub) ?? null;
        if (!sub)
          throw new DomainError(
            ScimErrorCode.InvalidPath,
            `"${path.attribute.name}" has no sub-attribute "${node.sub}".`,
          );
      }
    }
    if (path.attribute.mutability === 'readOnly' || sub?.mutability === 'readOnly') {
      if (lenient) return;
      throw new DomainError(ScimErrorCode.Mutability, `"${text}" is read-only.`);
    }
    const holder = this.holder(path);
    if (filter) this.filtered(holder, path.attribute, filter, sub, value);
    else if (sub) this.subAttribute(holder, path.attribute, sub, value);
    else this.whole(holder, path.attribute, value);
    if (path.extension && Object.keys(holder).length === 0) delete this.document[path.extension];
  }

  private holder(path: AttributePath): ScimObject {
    if (!path.extension) return this.document;
    const existing = this.document[path.extension];
    if (isObject(existing)) return existing;
    const created: ScimObject = {};
    this.document[path.extension] = created;
    return created;
  }

  private whole(holder: ScimObject, attribute: AttributeDefinition, value: unknown): void {
    const key = attribute.name;
    const current = holder[key];
    if (attribute.multiValued) {
      const given: unknown[] = Array.isArray(value) ? value : [value];
      const elements: unknown[] = Array.isArray(current) ? current : [];
      if (this.op === 'remove') {
        // Entra ID removes members by listing them as the value of a remove without a filter.
        if (value === undefined) delete holder[key];
        else {
          const gone = new Set(
            given.map((v) => (isObject(v) ? String(member(v, 'value')) : String(v))),
          );
          holder[key] = elements.filter((e) => !(isObject(e) && gone.has(String(e.value))));
        }
      } else holder[key] = this.op === 'add' ? [...elements, ...given] : given;
      return;
    }
    if (this.op === 'remove') {
      delete holder[key];
      return;
    }
    if (attribute.type !== 'complex') {
      holder[key] = value;
      return;
    }
    // Entra ID sends the manager as its id alone.
    const given =
      isObject(value) || !findAttribute(attribute.subAttributes, 'value') ? value : { value };
    if (!isObject(given))
      throw new DomainError(ScimErrorCode.InvalidValue, `"${key}" must be an object.`);
    // A complex value replaces the sub-attributes it names and keeps the others (§3.5.2.3).
    holder[key] = { ...(isObject(current) ? current : {}), ...given };
  }

  private subAttribute(
    holder: ScimObject,
    attribute: AttributeDefinition,
    sub: AttributeDefinition,
    value: unknown,
  ): void {
    const key = attribute.name;
    const current = holder[key];
    if (!attribute.multiValued) {
      const object = isObject(current) ? current : {};
      if (this.op === 'remove') delete object[sub.name];
      else object[sub.name] = value;
      holder[key] = object;
      return;
    }
    const elements = Array.isArray(current) ? current.filter(isObject) : [];
    if (elements.length === 0 && this.op !== 'remove') holder[key] = [{ [sub.name]: value }];
    for (const element of elements) {
      if (this.op === 'remove') delete element[sub.name];
      else element[sub.name] = value;
    }
  }

  private filtered(
    holder: ScimObject,
    attribute: AttributeDefinition,
    filter: ElementFilter,
    sub: AttributeDefinition | null,
    value: unknown,
  ): void {
    const key = attribute.name;
    const elements = Array.isArray(holder[key]) ? (holder[key] as unknown[]) : [];
    const selected = elements.filter((element) => elementMatches(element, filter)) as ScimObject[];
    if (this.op === 'remove') {
      if (sub) for (const element of selected) delete element[sub.name];
      else holder[key] = elements.filter((element) => !selected.includes(element as ScimObject));
      return;
    }
    if (selected.length === 0) {
      const created = equalities(filter);
      if (!created) {
        throw new DomainError(
          ScimErrorCode.NoTarget,
          `No value of "${key}" matches the path's filter.`,
        );
      }
      const element = sub
        ? { ...created, [sub.name]: value }
        : { ...created, ...(isObject(value) ? value : {}) };
      holder[key] = [...elements, element];
      return;
    }
    for (const element of selected) {
      if (sub) element[sub.name] = value;
      else if (!isObject(value))
        throw new DomainError(
          ScimErrorCode.InvalidValue,
          `The value for "${key}" must be an object.`,
        );
      else if (this.op === 'replace') {
        for (const name of Object.keys(element)) delete element[name];
        Object.assign(element, value);
      } else Object.assign(element, value);
    }
  }
}

import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';
import { AttributePath, pathName, resolveAttributePath } from './scim-attribute-path';
import { CompareOperator, FilterNode, parseFilter } from './scim-filter-parser';
import { AttributeDefinition, findAttribute, ResourceTypeDefinition } from './scim-schema';

/**
 * A filter bound to a resource type: every path resolved to its definition and every value
 * checked against its type, so the SQL translation and the in-memory evaluator (which must
 * agree, as the property test checks) see only filters that mean something.
 */
export type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  | { op: 'pr'; path: AttributePath }
  | { op: CompareOperator; path: AttributePath; value: ComparedValue }
  /** Some element of the multi-valued complex `path.attribute` matches `filter`. */
  | { op: 'valuePath'; path: AttributePath; filter: ElementFilter };

/** Inside a value path: conditions on the sub-attributes of one element. */
export type ElementFilter =
  | { op: 'and' | 'or'; left: ElementFilter; right: ElementFilter }
  | { op: 'not'; filter: ElementFilter }
  | { op: 'pr'; sub: AttributeDefinition }
  | { op: CompareOperator; sub: AttributeDefinition; value: ComparedValue };

/**
 * A value compared with: a string (dateTime values as normalized ISO 8601, to the
 * millisecond), a boolean, or null (`eq null` is "has no value", `ne null` "has one").
 */
export type ComparedValue = string | boolean | null;

const ORDERING: readonly CompareOperator[] = ['gt', 'ge', 'lt', 'le'];
const TEXT_ONLY: readonly CompareOperator[] = ['co', 'sw', 'ew'];

function invalid(detail: string): DomainError {
  return new DomainError(ScimErrorCode.InvalidFilter, detail);
}

/** The attribute whose values a comparison reads: the sub-attribute, or the attribute. */
export function comparedAttribute(path: AttributePath): AttributeDefinition {
  return path.sub ?? path.attribute;
}

function checkValue(
  definition: AttributeDefinition,
  op: CompareOperator,
  value: unknown,
  name: string,
): ComparedValue {
  if (definition.mutability === 'writeOnly') throw invalid(`"${name}" cannot be filtered by.`);
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw invalid(`"${op} null" compares nothing; use eq or ne.`);
    return null;
  }
  switch (definition.type) {
    case 'boolean':
      if (typeof value !== 'boolean')
        throw invalid(`"${name}" is a boolean: compare it to true or false.`);
      if (op !== 'eq' && op !== 'ne') throw invalid(`"${name}" is a boolean: use eq or ne.`);
      return value;
    case 'dateTime': {
      const time = typeof value === 'string' ? Date.parse(value) : NaN;
      if (Number.isNaN(time) || !/^\d{4}-\d\d-\d\dT/.test(value as string)) {
        throw invalid(`"${name}" is a dateTime: compare it to an ISO 8601 date and time.`);
      }
      if (TEXT_ONLY.includes(op)) throw invalid(`"${name}" is a dateTime: ${op} does not apply.`);
      return new Date(time).toISOString();
    }
    case 'string':
    case 'reference':
      if (typeof value !== 'string')
        throw invalid(`"${name}" is a string: compare it to a quoted string.`);
      return value;
    default:
      throw invalid(`"${name}" is ${definition.type}: it cannot be compared.`);
  }
}

function bindElement(node: FilterNode, parent: AttributeDefinition): ElementFilter {
  switch (node.op) {
    case 'and':
    case 'or':
      return {
        op: node.op,
        left: bindElement(node.left, parent),
        right: bindElement(node.right, parent),
      };
    case 'not':
      return { op: 'not', filter: bindElement(node.filter, parent) };
    case 'valuePath':
      throw invalid('Value filters cannot nest.');
    default: {
      const sub = findAttribute(parent.subAttributes, node.path);
      if (!sub) throw invalid(`"${parent.name}" has no sub-attribute "${node.path}".`);
      if (node.op === 'pr') return { op: 'pr', sub };
      return {
        op: node.op,
        sub,
        value: checkValue(sub, node.op, node.value, `${parent.name}.${sub.name}`),
      };
    }
  }
}

function bind(node: FilterNode, resource: ResourceTypeDefinition): Filter {
  switch (node.op) {
    case 'and':
    case 'or':
      return { op: node.op, left: bind(node.left, resource), right: bind(node.right, resource) };
    case 'not':
      return { op: 'not', filter: bind(node.filter, resource) };
    case 'valuePath': {
      const path = resolveAttributePath(resource, node.path, ScimErrorCode.InvalidFilter);
      if (path.sub || path.attribute.type !== 'complex' || !path.attribute.multiValued) {
        throw invalid(`"${pathName(path)}" is not a multi-valued complex attribute.`);
      }
      return { op: 'valuePath', path, filter: bindElement(node.filter, path.attribute) };
    }
    default: {
      let path = resolveAttributePath(resource, node.path, ScimErrorCode.InvalidFilter);
      if (path.attribute.type === 'complex' && !path.sub) {
        if (node.op === 'pr') return { op: 'pr', path };
        // `eq null` is "has no value", which a complex attribute can say of itself.
        if (node.value === null && (node.op === 'eq' || node.op === 'ne')) {
          return { op: node.op, path, value: null };
        }
        // A multi-valued complex attribute compares by its `value` (RFC 7644 §3.4.2.2).
        const value =
          path.attribute.multiValued && findAttribute(path.attribute.subAttributes, 'value');
        if (!value)
          throw invalid(`"${pathName(path)}" is complex: name one of its sub-attributes.`);
        path = { ...path, sub: value };
      }
      if (node.op === 'pr') return { op: 'pr', path };
      return {
        op: node.op,
        path,
        value: checkValue(comparedAttribute(path), node.op, node.value, pathName(path)),
      };
    }
  }
}

/** Parses and binds a filter to a resource type; any fault is a 400 `invalidFilter`. */
export function compileFilter(text: string, resource: ResourceTypeDefinition): Filter {
  return bind(parseFilter(text), resource);
}

/** Binds an element filter of a PATCH path to the multi-valued attribute it selects in. */
export function compileElementFilter(node: FilterNode, parent: AttributeDefinition): ElementFilter {
  return bindElement(node, parent);
}

/** The ordering operators, which compare strings by code point (the SQL side: COLLATE "C"). */
export function isOrdering(op: CompareOperator): boolean {
  return ORDERING.includes(op);
}

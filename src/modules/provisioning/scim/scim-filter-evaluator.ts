import { AttributePath } from './scim-attribute-path';
import { CompareOperator } from './scim-filter-parser';
import { ComparedValue, comparedAttribute, ElementFilter, Filter } from './scim-filter';
import { AttributeDefinition } from './scim-schema';

/** A resource or an element of a multi-valued attribute, as its JSON representation has it. */
export type ScimObject = Record<string, unknown>;

const isObject = (value: unknown): value is ScimObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Strings order by code point, as PostgreSQL orders them under COLLATE "C" (UTF-8 bytes). */
function compareText(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function present(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.values(value).some(present);
  return true;
}

/** Whether one stored value satisfies `op value` under the attribute's rules. */
function satisfies(
  stored: unknown,
  op: CompareOperator,
  value: string | boolean,
  definition: AttributeDefinition,
): boolean {
  if (definition.type === 'boolean') return stored === value;
  if (typeof stored !== 'string' || typeof value !== 'string') return false;
  if (definition.type === 'dateTime') {
    const difference = Date.parse(stored) - Date.parse(value);
    return ordered(op, difference);
  }
  const a = definition.caseExact ? stored : stored.toLowerCase();
  const b = definition.caseExact ? value : value.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(b);
    case 'sw':
      return a.startsWith(b);
    case 'ew':
      return a.endsWith(b);
    default:
      return ordered(op, compareText(a, b));
  }
}

function ordered(op: CompareOperator, difference: number): boolean {
  switch (op) {
    case 'eq':
    case 'ne':
      return difference === 0;
    case 'gt':
      return difference > 0;
    case 'ge':
      return difference >= 0;
    case 'lt':
      return difference < 0;
    default:
      return difference <= 0;
  }
}

/** `ne` is "no value equals" (an absent attribute is unequal to everything). */
function compare(
  values: unknown[],
  op: CompareOperator,
  value: ComparedValue,
  definition: AttributeDefinition,
): boolean {
  const some = (operator: CompareOperator) =>
    values.some((stored) => present(stored) && satisfies(stored, operator, value!, definition));
  if (value === null) return op === 'eq' ? !values.some(present) : values.some(present);
  if (op === 'ne') return !some('eq');
  return some(op);
}

/** The values an attribute path reads in a resource: none, one, or one per element. */
export function valuesAt(resource: ScimObject, path: AttributePath): unknown[] {
  const holder = path.extension ? resource[path.extension] : resource;
  if (!isObject(holder)) return [];
  const value = holder[path.attribute.name];
  const elements = path.attribute.multiValued ? (Array.isArray(value) ? value : []) : [value];
  if (!path.sub) return elements;
  const sub = path.sub.name;
  return elements.map((element) => (isObject(element) ? element[sub] : undefined));
}

/** Whether one element of a multi-valued complex attribute matches a value filter. */
export function elementMatches(element: unknown, filter: ElementFilter): boolean {
  switch (filter.op) {
    case 'and':
      return elementMatches(element, filter.left) && elementMatches(element, filter.right);
    case 'or':
      return elementMatches(element, filter.left) || elementMatches(element, filter.right);
    case 'not':
      return !elementMatches(element, filter.filter);
    case 'pr':
      return isObject(element) && present(element[filter.sub.name]);
    default: {
      const stored = isObject(element) ? element[filter.sub.name] : undefined;
      return compare([stored], filter.op, filter.value, filter.sub);
    }
  }
}

/**
 * Evaluates a filter on a resource's representation in memory: the plain reading of RFC 7644
 * §3.4.2.2 that the SQL translation (scim-filter-sql.ts) must agree with, and what PATCH uses
 * to pick the elements a path's filter selects.
 */
export function matches(resource: ScimObject, filter: Filter): boolean {
  switch (filter.op) {
    case 'and':
      return matches(resource, filter.left) && matches(resource, filter.right);
    case 'or':
      return matches(resource, filter.left) || matches(resource, filter.right);
    case 'not':
      return !matches(resource, filter.filter);
    case 'pr':
      return valuesAt(resource, filter.path).some(present);
    case 'valuePath':
      return valuesAt(resource, filter.path).some((element) =>
        elementMatches(element, filter.filter),
      );
    default:
      return compare(
        valuesAt(resource, filter.path),
        filter.op,
        filter.value,
        comparedAttribute(filter.path),
      );
  }
}

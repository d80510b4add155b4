import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';
import { extensionNamed, resolveAttributePath } from './scim-attribute-path';
import { ScimObject } from './scim-filter-evaluator';
import { ResourceTypeDefinition } from './scim-schema';

const isObject = (value: unknown): value is ScimObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What to show of each attribute: all of it, or some sub-attributes. */
type Selection = Map<string, Map<string, Set<string> | 'all'>>;

/** The attributes a list names, by holder ('' for core, else the extension URN). */
function selection(resource: ResourceTypeDefinition, names: string[]): Selection {
  const selected: Selection = new Map();
  for (const name of names) {
    const extension = extensionNamed(resource, name);
    if (extension) {
      selected.set(extension, new Map([['*', 'all']]));
      continue;
    }
    let path;
    try {
      path = resolveAttributePath(resource, name, ScimErrorCode.InvalidValue);
    } catch (error) {
      if (error instanceof DomainError)
        throw new DomainError(ScimErrorCode.InvalidValue, `attributes: ${error.detail}`);
      throw error;
    }
    const holder = path.extension ?? '';
    const attributes = selected.get(holder) ?? new Map<string, Set<string> | 'all'>();
    selected.set(holder, attributes);
    const current = attributes.get(path.attribute.name);
    if (!path.sub) attributes.set(path.attribute.name, 'all');
    else if (current !== 'all')
      attributes.set(path.attribute.name, (current ?? new Set()).add(path.sub.name));
  }
  return selected;
}

function pick(value: unknown, subs: Set<string>): unknown {
  const one = (element: unknown) =>
    isObject(element)
      ? Object.fromEntries(Object.entries(element).filter(([k]) => subs.has(k)))
      : element;
  return Array.isArray(value) ? value.map(one) : one(value);
}

function omit(value: unknown, subs: Set<string>): unknown {
  const one = (element: unknown) =>
    isObject(element)
      ? Object.fromEntries(Object.entries(element).filter(([k]) => !subs.has(k)))
      : element;
  return Array.isArray(value) ? value.map(one) : one(value);
}

/** Attributes returned whatever the request says (RFC 7643 `returned: always`). */
const ALWAYS = ['schemas', 'id'];

/** Cuts a representation to what a request asked for. */
export type Projection = (representation: ScimObject) => ScimObject;

/**
 * What `attributes` (those named and the ones always returned) and `excludedAttributes` leave
 * of each representation (RFC 7644 §3.9), checked once: a name the resource type does not have
 * is a 400 `invalidValue`.
 */
export function compileProjection(
  resource: ResourceTypeDefinition,
  request: { attributes: string[] | null; excludedAttributes: string[] | null },
): Projection {
  const included = request.attributes?.length ? selection(resource, request.attributes) : null;
  const excluded = request.excludedAttributes?.length
    ? selection(resource, request.excludedAttributes)
    : null;
  return (representation) => {
    const cut = included ? include(representation, included) : representation;
    return excluded ? exclude(cut, excluded) : cut;
  };
}

function include(representation: ScimObject, selected: Selection): ScimObject {
  const result: ScimObject = {};
  for (const key of ALWAYS)
    if (representation[key] !== undefined) result[key] = representation[key];
  for (const [holder, attributes] of selected) {
    const source = holder === '' ? representation : representation[holder];
    if (!isObject(source)) continue;
    const target: ScimObject = {};
    for (const [name, subs] of entriesOf(attributes, source)) {
      if (source[name] === undefined) continue;
      target[name] = subs === 'all' ? source[name] : pick(source[name], subs);
    }
    if (holder === '') Object.assign(result, target);
    else if (Object.keys(target).length > 0) result[holder] = target;
  }
  return result;
}

function exclude(representation: ScimObject, excluded: Selection): ScimObject {
  const result = { ...representation };
  for (const [holder, attributes] of excluded) {
    const source = holder === '' ? result : result[holder];
    if (!isObject(source)) continue;
    const target = holder === '' ? result : { ...source };
    for (const [name, subs] of entriesOf(attributes, source)) {
      if (holder === '' && ALWAYS.includes(name)) continue;
      if (subs === 'all') delete target[name];
      else if (target[name] !== undefined) target[name] = omit(target[name], subs);
    }
    if (holder !== '') {
      if (Object.keys(target).length > 0) result[holder] = target;
      else delete result[holder];
    }
  }
  return result;
}

/** The attributes of a selection, `*` (a whole extension) standing for every one the source has. */
function entriesOf(
  attributes: Map<string, Set<string> | 'all'>,
  source: ScimObject,
): [string, Set<string> | 'all'][] {
  if (attributes.get('*') === 'all') return Object.keys(source).map((key) => [key, 'all']);
  return [...attributes.entries()];
}

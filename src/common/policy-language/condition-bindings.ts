import { type CelInput, type CelMap, celList, celMap, isCelMap } from '@bufbuild/cel';
import type { AuthzRequest, AuthzSubject } from './authz-request';
import { PreparedSubject } from './prepared-subject';

/** What a condition sees: the variables of every policy condition. */
export interface ConditionBindings {
  subject: CelMap;
  resource: CelMap;
  action: string;
  context: CelMap;
}

/** Values one variable's attributes may hold in all, nested ones included. */
export const MAX_ATTRIBUTE_VALUES = 1000;
/** Objects and arrays nested in one variable's attributes (`{a: {b: 1}}` nests 1 deep). */
export const MAX_ATTRIBUTE_DEPTH = 8;

const EMPTY_MAP = celMap(new Map());

/**
 * Copies caller-supplied attributes into CEL values once per request, so that conditions never
 * see the caller's objects: only own enumerable keys are read (a `__proto__` key is an ordinary
 * map key, never a prototype), anything but JSON-like values is refused, and the work is bounded
 * by MAX_ATTRIBUTE_VALUES and MAX_ATTRIBUTE_DEPTH whatever the input's size. Converting up front
 * also spares @bufbuild/cel from turning a plain object into a Map at every field access.
 */
export class ConditionBindingsBuilder {
  private remaining = MAX_ATTRIBUTE_VALUES;

  private constructor(private readonly variable: string) {}

  /** The bindings for a request, or the reason they cannot be built (every condition fails). */
  static build(request: AuthzRequest): ConditionBindings | { error: string } {
    const { subject, resource } = request;
    try {
      const subjectMap =
        subject instanceof PreparedSubject
          ? subject.conditionMap
          : ConditionBindingsBuilder.subjectMap(subject, subject.roles);
      if (!isCelMap(subjectMap)) return subjectMap;
      const resourceMap = new ConditionBindingsBuilder('resource').entries(resource.attributes, 1);
      resourceMap.set('type', resource.type);
      if (resource.id !== undefined) resourceMap.set('id', resource.id);
      return {
        subject: subjectMap,
        resource: celMap(resourceMap),
        action: request.action,
        context:
          request.context === undefined
            ? EMPTY_MAP
            : celMap(new ConditionBindingsBuilder('context').entries(request.context, 1)),
      };
    } catch (error) {
      return { error: messageOf(error) };
    }
  }

  /**
   * Whether `build(request)` succeeds: the same walk over the same values, under the same
   * limits, without building anything. A condition the direct path can answer from the
   * request itself needs no bindings, only the assurance that they could be built (a request
   * whose bindings cannot be built fails every condition).
   */
  static accepts(request: AuthzRequest): boolean {
    const { subject, resource, context } = request;
    const subjectFits =
      subject instanceof PreparedSubject
        ? isCelMap(subject.conditionMap)
        : new ConditionBindingsBuilder('subject').fitsEntries(subject.attributes, 1);
    return (
      subjectFits &&
      new ConditionBindingsBuilder('resource').fitsEntries(resource.attributes, 1) &&
      (context === undefined || new ConditionBindingsBuilder('context').fitsEntries(context, 1))
    );
  }

  /**
   * The subject with its attributes converted once for every decision made about it. Its roles
   * and attributes are copied (the attributes as conditions see them, and shallowly for the
   * subject's own `attributes`), so that the caller's objects can change afterwards.
   */
  static prepare(subject: AuthzSubject): PreparedSubject {
    const roles = Object.freeze([...subject.roles]);
    let conditionMap: CelMap | { error: string };
    try {
      conditionMap = ConditionBindingsBuilder.subjectMap(subject, roles);
    } catch (error) {
      conditionMap = { error: messageOf(error) };
    }
    return new PreparedSubject(
      subject.type,
      subject.id,
      roles,
      Object.freeze({ ...subject.attributes }),
      conditionMap,
    );
  }

  /** `subject` as conditions see it: its attributes, then `id`, `type` and `roles`, which win. */
  private static subjectMap(subject: AuthzSubject, roles: readonly string[]): CelMap {
    const entries = new ConditionBindingsBuilder('subject').entries(subject.attributes, 1);
    entries.set('id', subject.id);
    entries.set('type', subject.type);
    entries.set('roles', celList(roles));
    return celMap(entries);
  }

  private entries(object: unknown, depth: number): Map<string, CelInput> {
    const entries = new Map<string, CelInput>();
    if (object === undefined || object === null) return entries;
    if (!isPlainObject(object)) throw this.unsupported(object);
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      const value = (object as Record<string, unknown>)[key];
      if (value !== undefined) entries.set(key, this.value(value, depth));
    }
    return entries;
  }

  private value(value: unknown, depth: number): CelInput {
    if (--this.remaining < 0) {
      throw new Error(`${this.variable} attributes hold more than ${MAX_ATTRIBUTE_VALUES} values`);
    }
    switch (typeof value) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'bigint':
        return value;
      case 'object':
        break;
      default:
        throw this.unsupported(value);
    }
    if (value === null) return null;
    if (depth > MAX_ATTRIBUTE_DEPTH) {
      throw new Error(`${this.variable} attributes nest deeper than ${MAX_ATTRIBUTE_DEPTH} levels`);
    }
    if (Array.isArray(value)) {
      const elements: CelInput[] = [];
      for (const element of value as unknown[]) {
        if (element === undefined) throw this.unsupported(element);
        elements.push(this.value(element, depth + 1));
      }
      return celList(elements);
    }
    return celMap(this.entries(value, depth + 1));
  }

  /** `entries` without building: whether it would return rather than throw. */
  private fitsEntries(object: unknown, depth: number): boolean {
    if (object === undefined || object === null) return true;
    if (!isPlainObject(object)) return false;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      const value = (object as Record<string, unknown>)[key];
      if (value !== undefined && !this.fits(value, depth)) return false;
    }
    return true;
  }

  /** `value` without building: whether it would return rather than throw. */
  private fits(value: unknown, depth: number): boolean {
    if (--this.remaining < 0) return false;
    switch (typeof value) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'bigint':
        return true;
      case 'object':
        break;
      default:
        return false;
    }
    if (value === null) return true;
    if (depth > MAX_ATTRIBUTE_DEPTH) return false;
    if (Array.isArray(value)) {
      for (const element of value as unknown[]) {
        if (element === undefined || !this.fits(element, depth + 1)) return false;
      }
      return true;
    }
    return this.fitsEntries(value, depth + 1);
  }

  private unsupported(value: unknown): Error {
    const kind = typeof value === 'object' ? 'an object other than a plain one' : typeof value;
    return new Error(`${this.variable} attributes hold an unsupported value (${kind})`);
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

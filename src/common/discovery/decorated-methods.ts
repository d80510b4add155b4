import type { DiscoveryService, MetadataScanner } from '@nestjs/core';

export interface DecoratedMethod<T> {
  /** `Class.method`, as logs and errors name it. */
  name: string;
  metadata: T;
  /** The method, bound to its provider. */
  method: (...args: never[]) => unknown;
}

/**
 * Every method of every provider that carries metadata under `key` (set by a method decorator
 * such as `@JobHandler`, `@OnPublished` or `@PurgesExpired`), bound to its provider. Call it
 * once the providers exist (`onModuleInit`).
 */
export function decoratedMethods<T>(
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  key: string | symbol,
): DecoratedMethod<T>[] {
  const found: DecoratedMethod<T>[] = [];
  for (const wrapper of discovery.getProviders()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || typeof instance !== 'object') continue;
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const metadata = Reflect.getMetadata(key, prototype, name) as T | undefined;
      if (metadata === undefined) continue;
      const method = (instance[name] as (...args: never[]) => unknown).bind(instance);
      found.push({ name: `${prototype.constructor.name}.${name}`, metadata, method });
    }
  }
  return found;
}

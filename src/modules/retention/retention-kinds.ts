import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import {
  RETENTION_PURGE,
  RetentionKindDefinition,
  RetentionPurgeFunction,
} from './retention-purge.decorator';

export interface RetentionKind {
  kind: string;
  /** 0: kept forever, never purged. */
  retentionDays: number;
  purge: RetentionPurgeFunction;
}

/**
 * Every kind of row some module purges past its retention, found at startup on the methods
 * marked `@PurgesExpired`, with the retention configured for each.
 */
@Injectable()
export class RetentionKinds implements OnModuleInit {
  private readonly kinds: RetentionKind[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const definition = Reflect.getMetadata(RETENTION_PURGE, prototype, method) as
          RetentionKindDefinition | undefined;
        if (!definition) continue;
        if (this.kinds.some((k) => k.kind === definition.kind)) {
          throw new Error(`two purges for the retention kind ${definition.kind}`);
        }
        this.kinds.push({
          kind: definition.kind,
          retentionDays: definition.retentionDays(this.config),
          purge: (instance[method] as RetentionPurgeFunction).bind(instance),
        });
      }
    }
  }

  /** Every kind, in the order found. */
  all(): readonly RetentionKind[] {
    return this.kinds;
  }
}

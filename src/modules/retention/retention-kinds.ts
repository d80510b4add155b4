import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import {
  RETENTION_PURGE,
  RetentionKindDefinition,
  RetentionPurgeFunction,
} from './retention-purge.decorator';
import { decoratedMethods } from '../../common/discovery/decorated-methods';

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
    const purges = decoratedMethods<RetentionKindDefinition>(
      this.discovery,
      this.scanner,
      RETENTION_PURGE,
    );
    for (const { metadata: definition, method } of purges) {
      if (this.kinds.some((k) => k.kind === definition.kind)) {
        throw new Error(`two purges for the retention kind ${definition.kind}`);
      }
      this.kinds.push({
        kind: definition.kind,
        retentionDays: definition.retentionDays(this.config),
        purge: method as RetentionPurgeFunction,
      });
    }
  }

  /** Every kind, in the order found. */
  all(): readonly RetentionKind[] {
    return this.kinds;
  }
}

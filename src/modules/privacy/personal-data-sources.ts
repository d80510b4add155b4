import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { decoratedMethods } from '../../common/discovery/decorated-methods';
import {
  PERSONAL_DATA,
  PersonalDataDefinition,
  PersonalDataFunction,
} from './personal-data.decorator';

export interface PersonalDataSource extends PersonalDataDefinition {
  /** `Class.method`, for logs. */
  name: string;
  collect: PersonalDataFunction;
}

/**
 * Every file of a person's data export, found at startup on the methods marked
 * `@PersonalData`, in file-name order (the archive's order).
 */
@Injectable()
export class PersonalDataSources implements OnModuleInit {
  private sources: PersonalDataSource[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const found = decoratedMethods<PersonalDataDefinition>(
      this.discovery,
      this.scanner,
      PERSONAL_DATA,
    ).map(({ name, metadata, method }) => ({
      ...metadata,
      name,
      collect: method as PersonalDataFunction,
    }));
    for (const source of found) {
      if (!/^[a-z0-9][a-z0-9-]*\.json$/.test(source.file)) {
        throw new Error(`${source.name}: the export file name ${source.file} is not <name>.json`);
      }
      if (found.filter((other) => other.file === source.file).length > 1) {
        throw new Error(`two modules contribute ${source.file} to personal data exports`);
      }
    }
    this.sources = found.sort((a, b) => a.file.localeCompare(b.file));
  }

  all(): readonly PersonalDataSource[] {
    return this.sources;
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ResourceAttributeSource, ResourceDirectory } from '../authz/resource-directory';
import { TokenVaultRepository } from './token-vault.repository';

/** The resource type of stored offline tokens in decisions. */
export const OFFLINE_TOKEN_RESOURCE = 'offline_token';

/**
 * The attributes Gatehouse supplies for `{type: "offline_token", id}`: `owner_id`,
 * `provider_id`, `status` (`active`, `revoked`, or `unknown` for none) and `scopes`, read afresh
 * for each decision (a use goes to the provider anyway).
 */
@Injectable()
export class OfflineTokenDirectory implements ResourceAttributeSource, OnModuleInit {
  constructor(
    private readonly repository: TokenVaultRepository,
    private readonly directory: ResourceDirectory,
  ) {}

  onModuleInit(): void {
    this.directory.register(OFFLINE_TOKEN_RESOURCE, this);
  }

  async attributesOf(id: string): Promise<Record<string, unknown>> {
    const token = isUUID(id) ? await this.repository.findById(id) : null;
    if (!token) return { owner_id: null, provider_id: null, status: 'unknown', scopes: [] };
    return {
      owner_id: token.userId,
      provider_id: token.providerId,
      status: token.status,
      scopes: token.scopes,
    };
  }
}

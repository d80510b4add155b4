import { Injectable } from '@nestjs/common';
import { Actor } from '../../../common/auth/actor';
import { issueOpaqueToken } from '../../../common/crypto/opaque-token';
import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode, HrErrorCode } from '../../../common/errors/error-code';
import { uuidV7 } from '../../../common/ids/uuid-v7';
import { Transactions } from '../../../database/transactions';
import { DomainEvents } from '../../events/domain-events.service';
import { newSigningSecret } from '../../events/webhooks/webhook-signature';
import { HrAuthMode, HrSource } from './hr-source.entity';
import { HrSourceSecrets } from './hr-source-secrets';
import { HrSourcesRepository } from './hr-sources.repository';

export interface HrSourceInput {
  name: string;
  authMode: HrAuthMode;
  rateLimitPerMinute: number;
  roleMappings: Record<string, string>;
}

function notFound(): DomainError {
  return new DomainError(CommonErrorCode.NotFound, 'There is no such HR source.');
}

/**
 * Administration of HR sources (`/v1/admin/hr-sources`). The credential, a Standard Webhooks
 * signing secret or an API key, is returned once, when the source is registered; every change is
 * committed with its `hr.source.*` event, which the audit trail records.
 */
@Injectable()
export class HrSourcesService {
  constructor(
    private readonly sources: HrSourcesRepository,
    private readonly secrets: HrSourceSecrets,
    private readonly events: DomainEvents,
    private readonly transactions: Transactions,
  ) {}

  /** The new source and its credential, shown this once. */
  async create(input: HrSourceInput, actor: Actor): Promise<{ source: HrSource; secret: string }> {
    const id = uuidV7();
    let secret: string;
    let secretSealed: string | null = null;
    let apiKeyHash: Buffer | null = null;
    if (input.authMode === 'signature') {
      secret = newSigningSecret();
      secretSealed = this.secrets.seal(id, secret);
    } else {
      const issued = issueOpaqueToken('hrApiKey');
      secret = issued.token;
      apiKeyHash = issued.hash;
    }
    return this.transactions.run(async () => {
      const inserted = await this.sources.insert({
        id,
        name: input.name,
        authMode: input.authMode,
        secretSealed,
        apiKeyHash,
        rateLimitPerMinute: input.rateLimitPerMinute,
        roleMappings: input.roleMappings,
      });
      if (!inserted) {
        throw new DomainError(HrErrorCode.HrSourceNameTaken, 'Another HR source has this name.');
      }
      await this.events.emit(
        'hr.source.created',
        {
          source_id: id,
          source_name: input.name,
          auth_mode: input.authMode,
          rate_limit_per_minute: input.rateLimitPerMinute,
          role_mappings: input.roleMappings,
        },
        { actor },
      );
      return { source: (await this.sources.findById(id))!, secret };
    });
  }

  list(limit: number, after: string | null): Promise<HrSource[]> {
    return this.sources.list(limit, after);
  }

  async get(id: string): Promise<HrSource> {
    const source = await this.sources.findById(id);
    if (!source) throw notFound();
    return source;
  }

  /** Its enrichments go with it; the accounts they created stay. */
  async delete(id: string, actor: Actor): Promise<void> {
    await this.transactions.run(async () => {
      if (!(await this.sources.delete(id))) throw notFound();
      await this.events.emit('hr.source.deleted', { source_id: id }, { actor });
    });
  }
}

import { Injectable, OnModuleInit } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ExpiringCache } from '../../common/cache/expiring-cache';
import { CheckSubjectDto } from '../authz/dto/check-request.dto';
import { ResourceAttributeSource, ResourceDirectory } from '../authz/resource-directory';
import { EventOf, OnBroadcast } from '../events/on-event.decorator';
import { MemberRole } from './trading-account-member.entity';
import { TradingAccountsRepository } from './trading-accounts.repository';

/** The resource type of trading accounts in decisions. */
export const TRADING_ACCOUNT_RESOURCE = 'trading_account';

/**
 * How long an instance trusts what it read about an account: a change reaches decisions on this
 * instance as soon as its event does, and on every instance within this time if that is late.
 */
export const TRADING_ACCOUNT_CACHE_MS = 1000;
const CACHE_MAX_ENTRIES = 50_000;

/** What decisions need of an account; null when it does not exist. */
interface AccountFacts {
  ownerId: string;
  status: string;
  broker: string;
  tokenExpiresAt: number;
  members: Map<string, MemberRole>;
}

/**
 * The attributes Gatehouse supplies for `{type: "trading_account", id}`: `owner_id`, `status`
 * (`expired` once the session's daily expiry passed, even before the job records it), `broker`
 * and `member_role` (the subject's active membership, null when none; never a service's).
 * An account that does not exist has `status: "unknown"` and nulls.
 */
@Injectable()
export class TradingAccountDirectory implements ResourceAttributeSource, OnModuleInit {
  private readonly accounts = new ExpiringCache<string, AccountFacts | null>({
    ttlMs: TRADING_ACCOUNT_CACHE_MS,
    maxEntries: CACHE_MAX_ENTRIES,
    whenFull: 'keep',
  });

  constructor(
    private readonly repository: TradingAccountsRepository,
    private readonly directory: ResourceDirectory,
  ) {}

  onModuleInit(): void {
    this.directory.register(TRADING_ACCOUNT_RESOURCE, this);
  }

  attributesOf(
    id: string,
    subject: CheckSubjectDto,
  ): Record<string, unknown> | Promise<Record<string, unknown>> {
    if (!isUUID(id)) return attributes(null, subject);
    const cached = this.accounts.get(id);
    if (cached !== undefined) return attributes(cached, subject);
    return this.accounts
      .getOrLoad(id, () => this.load(id))
      .then((facts) => attributes(facts, subject));
  }

  /** Something about the account changed: decisions read it afresh from now on. */
  @OnBroadcast('trading_account.*')
  accountChanged(event: EventOf<'trading_account.*'>): void {
    this.accounts.delete(event.data.account_id);
  }

  private async load(id: string): Promise<AccountFacts | null> {
    const account = await this.repository.findById(id);
    if (!account) return null;
    return {
      ownerId: account.ownerId,
      status: account.status,
      broker: account.broker,
      tokenExpiresAt: account.tokenExpiresAt.getTime(),
      members: await this.repository.activeMembers(id),
    };
  }
}

function attributes(facts: AccountFacts | null, subject: CheckSubjectDto): Record<string, unknown> {
  if (!facts) return { owner_id: null, status: 'unknown', broker: null, member_role: null };
  const expired = facts.status === 'active' && facts.tokenExpiresAt <= Date.now();
  return {
    owner_id: facts.ownerId,
    status: expired ? 'expired' : facts.status,
    broker: facts.broker,
    member_role: subject.type === 'user' ? (facts.members.get(subject.id) ?? null) : null,
  };
}

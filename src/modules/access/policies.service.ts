import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { Transactions } from '../../database/transactions';
import { Actor } from '../../common/auth/actor';
import { compileCondition } from '../../common/policy-language/compiled-condition';
import { ConditionSyntaxError } from '../../common/policy-language/condition-syntax-error';
import { AccessChangeRecorder } from './access-change-recorder';
import { nameTaken, notFound } from './access-problems';
import { fieldChanges } from '../../common/changes/field-changes';
import { Policy } from './policy.entity';
import { PolicyFields, PolicyRepository } from './policy.repository';
import { PolicySetRepository } from './policy-set.repository';

const POLICY_FIELDS = [
  'name',
  'description',
  'effect',
  'priority',
  'subjects',
  'actions',
  'resources',
  'condition',
  'enabled',
] as const;

export interface PolicyWrite {
  policy: Policy;
  version: number;
}

function definitionOf(policy: PolicyFields): PolicyFields {
  return Object.fromEntries(POLICY_FIELDS.map((field) => [field, policy[field]])) as PolicyFields;
}

/**
 * Policies as data. A condition is compiled before it is saved, so the engine never meets
 * one it cannot compile; the patterns are checked by the request's validation.
 */
@Injectable()
export class PoliciesService {
  constructor(
    private readonly policies: PolicyRepository,
    private readonly policySet: PolicySetRepository,
    private readonly recorder: AccessChangeRecorder,
    private readonly transactions: Transactions,
  ) {}

  /** Up to `limit` policies by name, after `afterName`. */
  list(afterName: string | null, limit: number): Promise<Policy[]> {
    return this.policies.list(afterName, limit);
  }

  async get(id: string): Promise<Policy> {
    const policy = await this.policies.findById(id);
    if (!policy) throw notFound('policy');
    return policy;
  }

  create(fields: PolicyFields, actor: Actor): Promise<PolicyWrite> {
    assertConditionCompiles(fields.condition);
    return this.transactions.run(async () => {
      const policy = await this.policies.insert(fields);
      if (!policy) throw nameTaken('policy');
      const version = await this.recorder.record(
        'policy.created',
        { policy_id: policy.id, ...definitionOf(policy) },
        actor,
      );
      return { policy, version };
    });
  }

  /** Replaces every field; a replacement identical to the stored policy changes nothing. */
  replace(id: string, fields: PolicyFields, actor: Actor): Promise<PolicyWrite> {
    assertConditionCompiles(fields.condition);
    return this.transactions.run(async () => {
      const current = await this.policies.findById(id, { forUpdate: true });
      if (!current) throw notFound('policy');
      const changed = fieldChanges<PolicyFields>(current, fields, POLICY_FIELDS);
      if (!changed) return { policy: current, version: await this.policySet.currentVersion() };
      const policy = await this.policies.replace(id, fields);
      if (policy === 'name_taken') throw nameTaken('policy');
      const version = await this.recorder.record(
        'policy.updated',
        { policy_id: id, name: policy.name, changes: changed },
        actor,
      );
      return { policy, version };
    });
  }

  delete(id: string, actor: Actor): Promise<number> {
    return this.transactions.run(async () => {
      const policy = await this.policies.findById(id, { forUpdate: true });
      if (!policy) throw notFound('policy');
      await this.policies.delete(id);
      return this.recorder.record(
        'policy.deleted',
        { policy_id: id, ...definitionOf(policy) },
        actor,
      );
    });
  }
}

/** A condition that does not compile is a 422 naming where the error is. */
function assertConditionCompiles(condition: string | null): void {
  if (condition === null) return;
  try {
    compileCondition(condition);
  } catch (error) {
    if (!(error instanceof ConditionSyntaxError)) throw error;
    const { line, column } = error.position;
    throw new DomainError(
      CommonErrorCode.ValidationFailed,
      `The condition does not compile: line ${line}, column ${column}: ${error.reason}.`,
      { errors: [{ field: 'condition', message: error.reason, line, column }] },
    );
  }
}

import { Injectable } from '@nestjs/common';
import { Actor } from '../../common/auth/actor';
import { DomainEvents } from '../events/domain-events.service';
import { EventData } from '../events/event-catalogue';
import { PolicySetRepository } from './policy-set.repository';

/** The events of changes to roles, grants and policies: each makes a new policy-set version. */
export type AccessChangeType =
  | 'role.created'
  | 'role.updated'
  | 'role.deleted'
  | 'policy.created'
  | 'policy.updated'
  | 'policy.deleted'
  | 'user.role.granted'
  | 'user.role.revoked';

/**
 * What every change of roles, grants or policies does besides itself, inside its transaction:
 * bump the policy-set version (concurrent changes take versions in the order they commit) and
 * emit the change's event carrying it. The audit row and the reload of every instance's
 * decision engine are the event's consumers.
 */
@Injectable()
export class AccessChangeRecorder {
  constructor(
    private readonly policySet: PolicySetRepository,
    private readonly events: DomainEvents,
  ) {}

  /** Call inside the change's transaction; returns the new policy-set version. */
  async record<T extends AccessChangeType>(
    type: T,
    data: Omit<EventData<T>, 'policy_set_version'>,
    actor: Actor,
  ): Promise<number> {
    const version = await this.policySet.bump();
    await this.events.emit(type, { ...data, policy_set_version: version } as EventData<T>, {
      actor,
    });
    return version;
  }
}

import { Injectable } from '@nestjs/common';
import { EventOf, InTransaction } from '../events/on-event.decorator';
import { AuditKeyring } from './audit-keyring';
import { AuthEventRepository } from './auth-event.repository';

/**
 * Erasure in the audit trails (crypto-shredding): the rows about the person stay, for
 * accountability, and the hash chain over them still verifies, but their personal fields no
 * longer open: the person's key is destroyed, in the erasure's transaction. Their
 * authentication events lose their network.
 */
@Injectable()
export class AuditErasure {
  constructor(
    private readonly keyring: AuditKeyring,
    private readonly authEvents: AuthEventRepository,
  ) {}

  @InTransaction('user.deleted')
  async forget(event: EventOf<'user.deleted'>): Promise<void> {
    await this.keyring.destroyUserKey(event.data.user_id);
    await this.authEvents.forgetNetworkOf(event.data.user_id);
  }
}

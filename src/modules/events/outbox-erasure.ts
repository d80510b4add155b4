import { Injectable } from '@nestjs/common';
import { redactPersonal } from '../../common/privacy/personal-fields';
import { EventDefinition } from './catalogue/event-definition';
import { EVENT_CATALOGUE, isEventType } from './event-catalogue';
import { EventOf, InTransaction } from './on-event.decorator';
import { OutboxRepository } from './outbox.repository';

/**
 * Erasure in the event log: once a person is erased, the events about them or of their doing
 * that the outbox still holds (for replays, streams resumed and deliveries retried) keep their
 * ids and types but no longer read their addresses, names, phone numbers or networks. In the
 * erasure's transaction, so what is relayed after it is already blank.
 */
@Injectable()
export class OutboxErasure {
  constructor(private readonly outbox: OutboxRepository) {}

  @InTransaction('user.deleted')
  async forget(event: EventOf<'user.deleted'>): Promise<void> {
    await this.outbox.forgetPerson(event.data.user_id, (type, data) =>
      redactPersonal(data, isEventType(type) ? personalFieldsOf(EVENT_CATALOGUE[type]) : []),
    );
  }
}

function personalFieldsOf(definition: EventDefinition): readonly string[] {
  return definition.personal ?? [];
}

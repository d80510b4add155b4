import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DomainEvents } from './domain-events.service';
import { EventConsumers } from './event-consumers';
import { EventTail } from './event-tail';
import { JobQueue } from './jobs/job-queue.service';
import { OutboxErasure } from './outbox-erasure';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';

/**
 * The seam between modules: typed domain events written to the outbox with each change, their
 * consumers, the relay that publishes them, and the job queue all background work runs on.
 * Global: every module emits events and queues jobs, and this module imports none of them.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    OutboxRepository,
    EventConsumers,
    JobQueue,
    EventTail,
    OutboxRelay,
    DomainEvents,
    OutboxErasure,
  ],
  exports: [DomainEvents, JobQueue, EventTail, OutboxRepository, OutboxRelay],
})
export class EventsModule {}

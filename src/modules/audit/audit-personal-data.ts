import { Injectable } from '@nestjs/common';
import { PersonalData } from '../privacy/personal-data.decorator';
import { AuditEventRepository, AuditRowConditions } from './audit-event.repository';
import { AuditQueries } from './audit-queries.service';
import { toAuditEventDto } from './audit-views';

/** Rows read per query while exporting. */
const READ_BATCH = 1000;

/**
 * The audit log's part of a person's data export: what it recorded about them (their sign-ins,
 * changes to their account) and what they did as an administrator, oldest first, their personal
 * fields opened. Read in batches as the archive is written.
 */
@Injectable()
export class AuditPersonalData {
  constructor(
    private readonly rows: AuditEventRepository,
    private readonly queries: AuditQueries,
  ) {}

  @PersonalData({
    file: 'audit-events.json',
    describes:
      'The audit log’s record of what concerned you: sign-ins and failed attempts, sessions, password, email and second-factor changes, and administrators’ changes to your account, each with when, from where and by whom.',
  })
  aboutPerson(userId: string): AsyncIterable<unknown> {
    return this.read({ userId });
  }

  @PersonalData({
    file: 'audit-actions.json',
    describes:
      'The audit log’s record of what you did to others’ accounts, roles, policies and clients, if you administer Gatehouse.',
  })
  byPerson(userId: string): AsyncIterable<unknown> {
    return this.read({ actor: { type: 'user', id: userId } }, userId);
  }

  /** Rows matching `conditions`, oldest first; `notAbout` leaves out rows about that user. */
  private async *read(conditions: AuditRowConditions, notAbout?: string): AsyncIterable<unknown> {
    let after: string | null = null;
    for (;;) {
      const batch = await this.rows.list(conditions, {
        direction: 'newer',
        after,
        limit: READ_BATCH - 1,
      });
      for (const entry of await this.queries.open(batch)) {
        if (notAbout && entry.userId === notAbout) continue;
        yield toAuditEventDto(entry);
      }
      if (batch.length < READ_BATCH) return;
      after = batch[batch.length - 1].id;
    }
  }
}

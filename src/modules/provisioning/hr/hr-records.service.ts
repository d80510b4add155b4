import { Injectable } from '@nestjs/common';
import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode } from '../../../common/errors/error-code';
import { PersonalData } from '../../privacy/personal-data.decorator';
import { HrEnrichment } from './hr-enrichment.entity';
import { HrEnrichmentsRepository } from './hr-enrichments.repository';

function found(enrichment: HrEnrichment | null): HrEnrichment {
  if (!enrichment) {
    throw new DomainError(CommonErrorCode.NotFound, 'No new hire has this employee id.');
  }
  return enrichment;
}

/**
 * What HR onboarding holds about employees, as readers with `hr_employees:read` see it: the
 * latest enrichment of an employee id (of any source), and each person's records in their data
 * export.
 */
@Injectable()
export class HrRecords {
  constructor(private readonly enrichments: HrEnrichmentsRepository) {}

  /** The employee's latest enrichment, whatever its status. */
  async latest(employeeId: string): Promise<HrEnrichment> {
    return found(await this.enrichments.latestOfEmployee(employeeId));
  }

  /**
   * The employee's enriched record: the latest completed enrichment, so that a later delivery
   * still being enriched (a changed title) does not hide it; else the latest, not onboarded.
   */
  async employee(employeeId: string): Promise<HrEnrichment> {
    const completed = await this.enrichments.latestOfEmployee(employeeId, ['completed']);
    return completed ?? this.latest(employeeId);
  }

  @PersonalData({
    file: 'hr-onboarding.json',
    describes:
      'What your HR system sent Gatehouse when you were hired (employee id, names, email, title, department, start date) and what was added from Okta (your groups and applications), with when it was done.',
  })
  async recordsOf(userId: string): Promise<unknown> {
    return (await this.enrichments.allOfUser(userId)).map((record) => ({
      employee_id: record.employeeId,
      first_name: record.firstName,
      last_name: record.lastName,
      preferred_name: record.preferredName,
      email: record.email,
      title: record.title,
      department: record.department,
      start_date: record.startDate,
      groups: record.groups,
      applications: record.applications,
      status: record.status,
      received_at: record.createdAt.toISOString(),
      finished_at: record.finishedAt?.toISOString() ?? null,
    }));
  }
}

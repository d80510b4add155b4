import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Job } from 'pg-boss';
import { Actor, systemActor } from '../../../common/auth/actor';
import { DomainError } from '../../../common/errors/domain-error';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { Transactions } from '../../../database/transactions';
import { UserRolesService } from '../../access/user-roles.service';
import { DomainEvents } from '../../events/domain-events.service';
import { errorMessage, JobHandler, JobOutcome } from '../../events/jobs/job-handler.decorator';
import { JobQueue } from '../../events/jobs/job-queue.service';
import { ManagementApiError, isTransient } from '../../federation/sync/management-api';
import { ManagementApis } from '../../federation/sync/management-apis';
import { OktaManagementApi } from '../../federation/sync/okta-management-api';
import { UsersService } from '../../users/users.service';
import { HrEnrichment } from './hr-enrichment.entity';
import { EnrichmentResult, HrEnrichmentsRepository } from './hr-enrichments.repository';
import { employeeRef } from './hr-log';
import { HrSourcesRepository } from './hr-sources.repository';
import { OktaCircuitsRepository } from './okta-circuits.repository';

export const ENRICHMENT_QUEUE = 'hr.enrichment';

export interface EnrichmentJob {
  enrichment_id: string;
}

/** Tries of each Okta call after the first, the waits between them doubling. */
const RETRIES = 3;
const NOT_IN_OKTA = 'not found in Okta';
const CIRCUIT_OPEN = 'Okta circuit open: waiting for the org to recover';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why Okta failed, in words safe to store and show (a status, Okta's error code, a reason). */
function describe(error: unknown): string {
  if (error instanceof ManagementApiError) {
    return `Okta answered ${error.status}${error.providerCode ? ` ${error.providerCode}` : ''}`;
  }
  return errorMessage(error).replace('identity provider unreachable', 'Okta unreachable');
}

/** The Okta user's data, or a reason the person cannot be enriched. */
type Lookup = { found: Omit<EnrichmentResult, 'userId'> } | { missing: true };

/**
 * Enriches new hires from Okta, as durable jobs (a job interrupted by a crash runs again): the
 * user by `profile.email`, then their groups and app links in parallel, each call tried again
 * three times with a doubling wait when Okta fails transiently (5xx, timeouts, 429s past their
 * reset); a 404 or an empty search ends the enrichment as failed, "not found in Okta". Then the
 * person is linked to their Gatehouse account (invited if there is none) and granted the roles
 * their source maps their groups to, with the `hr.employee.onboarded` event, in one transaction.
 *
 * The Okta org has a circuit breaker (hr_okta_circuits): an enrichment that still fails after its
 * tries counts a failure, and HR_OKTA_CIRCUIT_FAILURES in a row open the circuit for
 * HR_OKTA_CIRCUIT_OPEN_SECONDS. While it is open enrichments are not failed: they wait (status
 * `pending`, their job sent again for when it closes); then one probe goes through, closing it on
 * success and opening it again on failure.
 */
@Injectable()
export class OktaEnrichment {
  private readonly logger = new Logger(OktaEnrichment.name);
  private readonly okta: OktaManagementApi | null;

  constructor(
    private readonly enrichments: HrEnrichmentsRepository,
    private readonly sources: HrSourcesRepository,
    private readonly circuits: OktaCircuitsRepository,
    private readonly users: UsersService,
    private readonly userRoles: UserRolesService,
    private readonly events: DomainEvents,
    private readonly jobs: JobQueue,
    private readonly transactions: Transactions,
    apis: ManagementApis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const okta = config.hr.okta;
    // One client per process: its rate-limit pause is shared by every enrichment.
    this.okta = okta ? apis.okta(okta.orgUrl, okta.apiToken) : null;
  }

  @JobHandler({
    name: ENRICHMENT_QUEUE,
    retryLimit: 5,
    retryDelaySeconds: 5,
    retryBackoff: true,
    retryDelayMaxSeconds: 300,
    expireInSeconds: 600,
    batchSize: 25,
  })
  async work(jobs: Job<EnrichmentJob>[]): Promise<JobOutcome[]> {
    // The enrichments of a batch run at once: each mostly waits for Okta.
    return Promise.all(
      jobs.map(async (job): Promise<JobOutcome> => {
        try {
          await this.run(job.data.enrichment_id);
          return { id: job.id, status: 'completed' };
        } catch (error) {
          return { id: job.id, status: 'failed', output: { error: errorMessage(error) } };
        }
      }),
    );
  }

  async run(enrichmentId: string): Promise<void> {
    const enrichment = await this.enrichments.startRun(enrichmentId, new Date());
    if (!enrichment) return;
    const ref = employeeRef(enrichment.employeeId);
    if (!this.okta || !this.config.hr.okta) {
      await this.fail(enrichment, 'no Okta org is configured (OKTA_ORG_URL)');
      return;
    }
    const org = this.config.hr.okta.orgUrl;
    const openMs = this.config.hr.circuitOpenSeconds * 1000;
    const admission = await this.circuits.admit(org, new Date(), openMs);
    if (!admission.admitted) {
      await this.waitForCircuit(enrichment, admission.retryAt);
      return;
    }
    let lookup: Lookup;
    try {
      lookup = await this.lookUp(this.okta, enrichment.email, ref);
    } catch (error) {
      if (!isTransient(error)) {
        await this.circuits.succeeded(org);
        await this.fail(enrichment, `Okta refused the lookup: ${describe(error)}`);
        return;
      }
      const openUntil = await this.circuits.failed(
        org,
        this.config.hr.circuitFailures,
        new Date(Date.now() + openMs),
      );
      if (openUntil) {
        this.logger.warn({ org, open_until: openUntil }, 'Okta circuit open');
        await this.waitForCircuit(enrichment, openUntil);
        return;
      }
      await this.fail(enrichment, describe(error));
      return;
    }
    await this.circuits.succeeded(org);
    if ('missing' in lookup) {
      await this.fail(enrichment, NOT_IN_OKTA);
      return;
    }
    await this.onboard(enrichment, lookup.found);
  }

  /** The user, then their groups and app links at once; `missing` on a 404 or no match. */
  private async lookUp(okta: OktaManagementApi, email: string, ref: string): Promise<Lookup> {
    try {
      const user = await this.retrying(() => okta.findUserByEmail(email), ref);
      if (!user) return { missing: true };
      const [groups, links] = await Promise.all([
        this.retrying(() => okta.groupsOf(user.id), ref),
        this.retrying(() => okta.appLinksOf(user.id), ref),
      ]);
      return {
        found: {
          oktaUserId: user.id,
          groups,
          applications: links.map((link) => ({
            id: link.id,
            label: link.label,
            app_name: link.appName,
            link_url: link.linkUrl,
          })),
        },
      };
    } catch (error) {
      if (error instanceof ManagementApiError && error.status === 404) return { missing: true };
      throw error;
    }
  }

  private async retrying<T>(call: () => Promise<T>, ref: string): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await call();
      } catch (error) {
        if (!isTransient(error) || retry >= RETRIES) throw error;
        const delay = this.config.hr.retryBaseMs * 2 ** retry;
        this.logger.warn(
          { employee_ref: ref, reason: describe(error), retry: retry + 1, delay_ms: delay },
          'Okta call failed; trying again',
        );
        await sleep(delay);
      }
    }
  }

  private async onboard(
    enrichment: HrEnrichment,
    found: Omit<EnrichmentResult, 'userId'>,
  ): Promise<void> {
    const source = await this.sources.findById(enrichment.sourceId);
    if (!source) return;
    const actor = systemActor(`hr-source:${source.id}`);
    await this.transactions.run(async () => {
      const userId = await this.accountOf(enrichment, actor);
      const roles = new Set(
        found.groups.map((group) => source.roleMappings[group.name]).filter(Boolean),
      );
      for (const role of roles) await this.grant(userId, role, actor, enrichment);
      await this.enrichments.complete(enrichment.id, { ...found, userId }, new Date());
      await this.events.emit(
        'hr.employee.onboarded',
        {
          enrichment_id: enrichment.id,
          source_id: source.id,
          user_id: userId,
          groups: found.groups.length,
          applications: found.applications.length,
          roles: [...roles],
        },
        { actor },
      );
    });
    this.logger.log(
      { employee_ref: employeeRef(enrichment.employeeId), email: enrichment.email },
      'New hire onboarded',
    );
  }

  /** The account with the hire's address, invited when there is none. */
  private async accountOf(enrichment: HrEnrichment, actor: Actor): Promise<string> {
    const existing = await this.users.findByEmail(enrichment.email);
    if (existing) return existing.id;
    const name = `${enrichment.preferredName ?? enrichment.firstName} ${enrichment.lastName}`;
    const created = await this.users.createInvited({ email: enrichment.email, name }, { actor });
    if (created) return created;
    const raced = await this.users.findByEmail(enrichment.email);
    if (!raced) throw new Error('an account whose address was taken vanished');
    return raced.id;
  }

  /** A role the source maps a group to; one that does not exist (any more) is skipped. */
  private async grant(
    userId: string,
    role: string,
    actor: Actor,
    enrichment: HrEnrichment,
  ): Promise<void> {
    try {
      await this.userRoles.grantByName(userId, role, actor);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.logger.warn(
        { employee_ref: employeeRef(enrichment.employeeId), role, reason: error.message },
        'Mapped role not granted',
      );
    }
  }

  private async fail(enrichment: HrEnrichment, reason: string): Promise<void> {
    await this.transactions.run(async () => {
      await this.enrichments.fail(enrichment.id, reason, new Date());
      await this.events.emit(
        'hr.employee.enrichment_failed',
        { enrichment_id: enrichment.id, source_id: enrichment.sourceId, reason },
        { actor: systemActor(`hr-source:${enrichment.sourceId}`) },
      );
    });
    this.logger.warn(
      { employee_ref: employeeRef(enrichment.employeeId), email: enrichment.email, reason },
      'New hire enrichment failed',
    );
  }

  /** Leaves the enrichment pending, its job sent again for when the circuit lets a call through. */
  private async waitForCircuit(enrichment: HrEnrichment, retryAt: Date): Promise<void> {
    await this.transactions.run(async () => {
      await this.enrichments.wait(enrichment.id, CIRCUIT_OPEN, retryAt);
      await this.jobs.send(
        ENRICHMENT_QUEUE,
        { enrichment_id: enrichment.id } satisfies EnrichmentJob,
        { startAfter: retryAt },
      );
    });
  }
}

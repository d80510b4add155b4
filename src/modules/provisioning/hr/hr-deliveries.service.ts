import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { presentedTokenHash } from '../../../common/crypto/opaque-token';
import { DomainError } from '../../../common/errors/domain-error';
import { HrErrorCode } from '../../../common/errors/error-code';
import { uuidV7 } from '../../../common/ids/uuid-v7';
import { RateLimiter } from '../../../common/throttle/rate-limiter.service';
import { tooManyAttempts } from '../../../common/throttle/too-many-attempts';
import { Transactions } from '../../../database/transactions';
import { JobQueue } from '../../events/jobs/job-queue.service';
import { signatureMatches } from '../../events/webhooks/webhook-signature';
import { HrEnrichment } from './hr-enrichment.entity';
import { HrEnrichmentsRepository } from './hr-enrichments.repository';
import { employeeRef } from './hr-log';
import { HrSource } from './hr-source.entity';
import { HrSourceSecrets } from './hr-source-secrets';
import { HrSourcesRepository } from './hr-sources.repository';
import { ENRICHMENT_QUEUE, EnrichmentJob } from './okta-enrichment';

/** How far a signed delivery's `webhook-timestamp` may be from now (Standard Webhooks' advice). */
const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const WEBHOOK_ID = /^[\x21-\x7e]{1,200}$/;

/** The headers a delivery is authenticated by. */
export interface DeliveryCredentials {
  apiKey?: string;
  sourceId?: string;
  webhookId?: string;
  webhookTimestamp?: string;
  webhookSignature?: string;
}

/** A new hire as the seed payload carries it, validated. */
export interface NewHire {
  employeeId: string;
  firstName: string;
  lastName: string;
  preferredName: string | null;
  email: string;
  title: string | null;
  department: string | null;
  startDate: string;
}

export interface AuthenticatedDelivery {
  source: HrSource;
  /** The delivery's `webhook-id`, its idempotency key; null when an API-key delivery has none. */
  webhookId: string | null;
}

function refused(): DomainError {
  return new DomainError(
    HrErrorCode.InvalidHrAuthentication,
    'The delivery has no valid signature or API key of a registered HR source.',
  );
}

/** The SHA-256 of the hire's fields in a fixed order: the same payload, the same hash. */
function payloadHash(hire: NewHire): Buffer {
  const canonical = JSON.stringify([
    hire.employeeId,
    hire.firstName,
    hire.lastName,
    hire.preferredName,
    hire.email.toLowerCase(),
    hire.title,
    hire.department,
    hire.startDate,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest();
}

/**
 * HR systems' deliveries of new hires (`POST /v1/hr/webhook`): authenticated (a Standard
 * Webhooks signature under the source's secret, or its API key; nothing else is accepted),
 * rate-limited per source, stored once (the same `webhook-id`, or the same employee and payload,
 * is the enrichment stored first) with the job that enriches it from Okta, in one transaction.
 */
@Injectable()
export class HrDeliveries {
  private readonly logger = new Logger(HrDeliveries.name);

  constructor(
    private readonly sources: HrSourcesRepository,
    private readonly enrichments: HrEnrichmentsRepository,
    private readonly secrets: HrSourceSecrets,
    private readonly limiter: RateLimiter,
    private readonly jobs: JobQueue,
    private readonly transactions: Transactions,
  ) {}

  /**
   * The source that sent the delivery, by its API key (`X-API-Key`) or by its signature
   * (`X-HR-Source` naming the source, and the `webhook-*` headers over the raw body); then one
   * hit of its rate limit. Unknown sources and wrong credentials are the same 401.
   */
  async authenticate(
    credentials: DeliveryCredentials,
    rawBody: string | undefined,
    now = new Date(),
  ): Promise<AuthenticatedDelivery> {
    const webhookId =
      credentials.webhookId !== undefined && WEBHOOK_ID.test(credentials.webhookId)
        ? credentials.webhookId
        : null;
    let source: HrSource | null;
    if (credentials.apiKey !== undefined) {
      const hash = presentedTokenHash('hrApiKey', credentials.apiKey);
      source = hash ? await this.sources.findByApiKeyHash(hash) : null;
      if (!source || source.authMode !== 'api_key') throw refused();
    } else {
      source = await this.signedSource(credentials, rawBody, now);
      if (!webhookId) throw refused();
    }
    const limit = await this.limiter.consume(
      `hr-webhook:${source.id}`,
      source.rateLimitPerMinute,
      60,
    );
    if (!limit.allowed) {
      throw tooManyAttempts(
        limit.retryAfterSeconds,
        'This HR source sent more deliveries than its rate limit allows; try again later.',
      );
    }
    return { source, webhookId };
  }

  private async signedSource(
    credentials: DeliveryCredentials,
    rawBody: string | undefined,
    now: Date,
  ): Promise<HrSource> {
    const { sourceId, webhookId, webhookTimestamp, webhookSignature } = credentials;
    if (
      !sourceId ||
      !UUID.test(sourceId) ||
      !webhookId ||
      !webhookTimestamp ||
      !webhookSignature ||
      rawBody === undefined ||
      !/^\d{1,12}$/.test(webhookTimestamp)
    ) {
      throw refused();
    }
    const timestamp = Number(webhookTimestamp);
    if (Math.abs(now.getTime() / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) throw refused();
    const source = await this.sources.findWithSecret(sourceId);
    if (!source || source.authMode !== 'signature' || !source.secretSealed) throw refused();
    const key = this.secrets.key(source.id, source.secretSealed);
    if (!signatureMatches([key], webhookId, timestamp, rawBody, webhookSignature)) throw refused();
    return source;
  }

  /** Stores the hire once and queues its enrichment; the enrichment it is (new or not). */
  async accept(delivery: AuthenticatedDelivery, hire: NewHire): Promise<HrEnrichment> {
    const { enrichment, created } = await this.transactions.run(async () => {
      const stored = await this.enrichments.insertOnce({
        id: uuidV7(),
        sourceId: delivery.source.id,
        webhookId: delivery.webhookId,
        payloadHash: payloadHash(hire),
        ...hire,
      });
      if (stored.created) {
        await this.jobs.send(ENRICHMENT_QUEUE, {
          enrichment_id: stored.enrichment.id,
        } satisfies EnrichmentJob);
      }
      return stored;
    });
    this.logger.log(
      {
        source: delivery.source.name,
        employee_ref: employeeRef(hire.employeeId),
        email: hire.email,
        enrichment_id: enrichment.id,
        duplicate: !created,
      },
      created ? 'New hire accepted' : 'New hire already received',
    );
    return enrichment;
  }
}

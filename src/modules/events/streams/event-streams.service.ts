import type { ServerResponse } from 'node:http';
import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Caller } from '../../../common/auth/principal';
import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode, EventsErrorCode } from '../../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { AccessTokenService, InvalidAccessTokenError } from '../../auth/access-token.service';
import { SESSION_STATUS_CACHE_MS, SessionService } from '../../auth/session.service';
import { AuthzService } from '../../authz/authz.service';
import { OAuthClientsService } from '../../clients/oauth-clients.service';
import { EventTail } from '../event-tail';
import { OutboxRepository } from '../outbox.repository';
import { EventMetrics } from './event-metrics';
import { EventStreamConnection } from './event-stream-connection';
import { GaplessFeed } from './gapless-feed';
import {
  EventStreamFilter,
  parseLastEventId,
  parseTypesQuery,
  StreamScope,
} from './event-stream-filter';
import { sseControl, sseEvent } from './server-sent-events';

/** The permission that shows every event; without it a user sees their own `user.*` events. */
const SEES_ALL = 'events:read';
/** Events read from the outbox per query while a stream catches up. */
const REPLAY_PAGE = 500;
/**
 * The control message that opens a stream resumed from a position whose events are gone (past
 * EVENTS_RETENTION_DAYS): the client missed events and must reconcile some other way.
 */
export const EVENTS_MISSED = 'stream.events_missed';

export interface StreamRequest {
  caller: Caller;
  /** The access token the stream was opened with, re-checked while it is open. */
  token: string;
  types?: string;
  lastEventId?: string;
}

/** A stream checked and admitted, its slot held, not yet started. */
export interface AdmittedStream {
  request: StreamRequest;
  filter: EventStreamFilter;
  resumeAfter: number | null;
  principal: string;
}

/**
 * Server-Sent Events streams of published events. A stream resumed from `Last-Event-ID` first
 * catches up from the outbox, then continues with what this instance's tail reads, with no gap
 * and no duplicate: it subscribes first, replays from the outbox until it has reached what the
 * tail delivered meanwhile, then sends the tail's events past the last position it sent. While
 * open, the token, its session (or client) and, for a stream of every event, the permission are
 * re-checked as often as the session cache lets a revocation go unseen; any that fails ends it.
 */
@Injectable()
export class EventStreams implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EventStreams.name);
  /** Streams admitted and not yet ended, by principal (`user:<id>`, `service:<client_id>`). */
  private readonly held = new Map<string, number>();
  private readonly connections = new Set<EventStreamConnection>();

  constructor(
    private readonly tail: EventTail,
    private readonly outbox: OutboxRepository,
    private readonly authz: AuthzService,
    private readonly tokens: AccessTokenService,
    private readonly sessions: SessionService,
    private readonly clients: OAuthClientsService,
    private readonly metrics: EventMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Everything that can refuse a stream, before its response starts: the filter, the resume
   * position, the caller's right to the scope it gets, and a free slot among the caller's
   * streams (held from here: `start` must follow at once, and releases it when the stream ends).
   */
  async admit(request: StreamRequest): Promise<AdmittedStream> {
    const { caller } = request;
    const patterns = parseTypesQuery(request.types);
    const resumeAfter = parseLastEventId(request.lastEventId);
    const seesAll = await this.authz.callerMay(caller, SEES_ALL);
    if (caller.kind === 'service' && !seesAll) {
      throw new DomainError(CommonErrorCode.Forbidden, `This needs the ${SEES_ALL} permission.`);
    }
    // Every event is what the permission API shows: under its second-factor rule too.
    if (seesAll) await this.authz.assertAssuranceForPermissions(caller);
    if (resumeAfter !== null && resumeAfter > (await this.outbox.lastPosition())) {
      throw new DomainError(
        EventsErrorCode.UnknownEventPosition,
        'Last-Event-ID is past the last published event: it was not sent by this deployment.',
      );
    }
    const scope: StreamScope =
      seesAll || caller.kind === 'service'
        ? { kind: 'all' }
        : { kind: 'own', userId: caller.userId };
    const principal =
      caller.kind === 'service' ? `service:${caller.clientId}` : `user:${caller.userId}`;
    // After the last await: requests arriving together cannot both take the last slot.
    const holding = this.held.get(principal) ?? 0;
    if (holding >= this.config.events.stream.maxPerPrincipal) {
      throw new DomainError(
        EventsErrorCode.TooManyStreams,
        `At most ${this.config.events.stream.maxPerPrincipal} event streams may be open at once; close one first.`,
      );
    }
    this.held.set(principal, holding + 1);
    return { request, filter: new EventStreamFilter(scope, patterns), resumeAfter, principal };
  }

  /** Starts an admitted stream on a response nothing else writes to (hijacked). */
  start(
    admitted: AdmittedStream,
    response: ServerResponse,
    /** Headers already set for the response (request id, security headers). */
    headers: Record<string, string | number | string[] | undefined>,
  ): void {
    const { filter, principal } = admitted;
    const settings = this.config.events.stream;
    const timers: NodeJS.Timeout[] = [];
    let unsubscribe: () => void = () => undefined;
    const connection = new EventStreamConnection(response, settings.queueLimit, () => {
      for (const timer of timers) clearInterval(timer);
      unsubscribe();
      this.connections.delete(connection);
      this.release(principal);
      this.metrics.streamClosed();
    });
    this.connections.add(connection);
    this.metrics.streamOpened();

    response.on('close', () => connection.gone());
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Once the stream ends the connection does too: nothing else is sent on it.
      connection: 'close',
      // Proxies that buffer responses (nginx) would hold events back.
      'x-accel-buffering': 'no',
    });
    // The client learns the stream is open now, not with the first event or heartbeat.
    response.flushHeaders();

    timers.push(setInterval(() => connection.heartbeat(), settings.heartbeatMs).unref());
    timers.push(
      setInterval(() => void this.recheck(admitted, connection), SESSION_STATUS_CACHE_MS).unref(),
    );

    const feed = new GaplessFeed({
      read: (after, limit) => this.outbox.after(after, limit),
      pageSize: REPLAY_PAGE,
      bufferLimit: settings.queueLimit,
      emit: (event) => {
        if (filter.matches(event) && connection.push(sseEvent(event))) {
          this.metrics.eventStreamed(event.type);
        }
      },
      pace: (event) => (filter.matches(event) ? connection.room() : Promise.resolve()),
      stopped: () => connection.closed,
    });
    unsubscribe = this.tail.subscribe((events) => feed.delivered(events));
    if (admitted.resumeAfter === null) {
      feed.goLive(this.tail.lastPosition);
      return;
    }
    const resumeAfter = admitted.resumeAfter;
    this.skipPurged(resumeAfter, connection)
      .then((position) => feed.catchUp(position))
      .catch((error: unknown) => {
        this.logger.warn(`An event stream could not catch up: ${(error as Error).message}`);
        connection.close(
          'closed: could not read the events to resend; reconnect with Last-Event-ID',
        );
      });
  }

  /**
   * Where a stream resumed after `position` starts: there, unless the events after it are gone
   * (purged after EVENTS_RETENTION_DAYS). Then the stream opens with an `EVENTS_MISSED` message
   * whose id is the position it resumes after, so a client reconnecting later is not told again.
   */
  private async skipPurged(position: number, connection: EventStreamConnection): Promise<number> {
    const first = await this.outbox.firstPosition();
    const oldestKept = first ?? (await this.outbox.lastPosition()) + 1;
    if (oldestKept <= position + 1) return position;
    const resumesAfter = oldestKept - 1;
    connection.push(
      sseControl(EVENTS_MISSED, resumesAfter, {
        last_event_id: position,
        resumes_after: resumesAfter,
        detail:
          'Events after last_event_id are no longer kept (EVENTS_RETENTION_DAYS); the stream resumes with the oldest kept.',
      }),
    );
    return resumesAfter;
  }

  private async recheck(
    admitted: AdmittedStream,
    connection: EventStreamConnection,
  ): Promise<void> {
    if (connection.closed) return;
    try {
      const reason = await this.endedBecause(admitted);
      if (reason !== null) connection.close(`closed: ${reason}`);
    } catch (error) {
      // Unknown is not ended: the next check decides.
      this.logger.warn(`Could not re-check an event stream: ${(error as Error).message}`);
    }
  }

  /** Why a stream may no longer be open, as the access-token guard would refuse it; or null. */
  private async endedBecause({ request, filter }: AdmittedStream): Promise<string | null> {
    let issuedAtMs: number;
    try {
      ({ issuedAtMs } = await this.tokens.verify(request.token));
    } catch (error) {
      if (!(error instanceof InvalidAccessTokenError)) throw error;
      return 'the access token expired; reconnect with a new one and Last-Event-ID';
    }
    const { caller } = request;
    if (caller.kind === 'user') {
      if (!(await this.sessions.isLive(caller.sessionId, caller.userId)))
        return 'the session ended';
    } else if (!(await this.clients.isTokenLive(caller.clientId, caller.tokenId, issuedAtMs))) {
      return 'the access token was revoked';
    }
    if (filter.scope.kind === 'all' && !(await this.authz.callerMay(caller, SEES_ALL))) {
      return `the ${SEES_ALL} permission was withdrawn`;
    }
    return null;
  }

  beforeApplicationShutdown(): void {
    for (const connection of [...this.connections]) {
      connection.close('closed: the server is shutting down; reconnect with Last-Event-ID');
    }
  }

  /** Streams open on this instance: a principal's (`user:<id>`, `service:<client_id>`), or all. */
  openStreams(principal?: string): number {
    if (principal !== undefined) return this.held.get(principal) ?? 0;
    let count = 0;
    for (const holding of this.held.values()) count += holding;
    return count;
  }

  private release(principal: string): void {
    const holding = (this.held.get(principal) ?? 1) - 1;
    if (holding > 0) this.held.set(principal, holding);
    else this.held.delete(principal);
  }
}

import { Controller, Get, Header, Query, Req, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PermissionScoped } from '../../../common/auth/permission-scoped.decorator';
import { Caller, CurrentCaller } from '../../../common/auth/principal';
import { Public } from '../../../common/auth/public.decorator';
import { EventStreamQueryDto } from './dto/event-stream-query.dto';
import { eventSchemasDocument, EventSchemasDocument } from './event-schemas';
import { EventStreams } from './event-streams.service';

const BEARER_TOKEN = /^bearer\s+(\S+)$/i;

@ApiTags('events')
@Controller('v1/events')
export class EventStreamsController {
  /** The catalogue does not change while the process runs. */
  private readonly schemas = eventSchemasDocument();

  constructor(private readonly streams: EventStreams) {}

  /**
   * Public, as the JWKS is: the catalogue describes what Gatehouse sends to anyone it sends
   * events to (webhook receivers, Redis consumers, stream clients), carries no data, and is
   * wanted before a consumer holds any credential (to generate types, to validate in CI).
   */
  @Get('schemas')
  @Public()
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    summary: 'The event catalogue: every type with its version, description and JSON Schema',
    description:
      '`envelope` is the JSON Schema (2020-12) of the message every channel sends; `events[].data_schema` that of its `data` for each type.',
  })
  @ApiOkResponse({ description: 'The catalogue', schema: { type: 'object' } })
  catalogue(): EventSchemasDocument {
    return this.schemas;
  }

  @Get('stream')
  @PermissionScoped('events:read')
  @ApiOperation({
    summary: 'Published events as Server-Sent Events, resumable with Last-Event-ID',
    description:
      'Each message: `id` (the event position, to resume from), `event` (its type), `data` (the JSON envelope). ' +
      'Holders of `events:read` (users or service clients) see every event; other users their own `user.*` events. ' +
      'A comment line comes every EVENTS_STREAM_HEARTBEAT_MS. Resuming after events that are no longer kept opens with a ' +
      '`stream.events_missed` message. The stream ends, with a comment saying why, when the client falls ' +
      'EVENTS_STREAM_QUEUE_LIMIT events behind, when the token expires or its session ends, or on shutdown: reconnect with Last-Event-ID.',
  })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event received: the stream resends what followed it.',
  })
  @ApiOkResponse({ description: 'An endless text/event-stream', schema: { type: 'string' } })
  @ApiTooManyRequestsResponse({
    description: 'The caller has EVENTS_STREAM_MAX_PER_PRINCIPAL streams open.',
  })
  async stream(
    @CurrentCaller() caller: Caller,
    @Query() query: EventStreamQueryDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const header = request.headers['last-event-id'];
    const admitted = await this.streams.admit({
      caller,
      // The guard accepted exactly this header.
      token: BEARER_TOKEN.exec(request.headers.authorization ?? '')?.[1] ?? '',
      types: query.types,
      lastEventId: typeof header === 'string' ? header : query.last_event_id,
    });
    reply.hijack();
    this.streams.start(admitted, reply.raw, reply.getHeaders());
  }
}

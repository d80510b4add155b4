import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { Actor, RequestActor } from '../../../common/auth/actor';
import { RequirePermission } from '../../../common/auth/require-permission.decorator';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageDto,
  PageQueryDto,
  toPage,
} from '../../../common/http/pagination';
import { uuidParam } from '../../../common/validation/uuid-param.pipe';
import {
  CreatedWebhookEndpointDto,
  CreateWebhookEndpointDto,
  DeliveryQueryDto,
  ReplayDto,
  ReplayQueuedDto,
  RotatedSecretDto,
  UpdateWebhookEndpointDto,
  WebhookDeliveryDto,
  WebhookEndpointDto,
} from './dto/webhook-endpoint.dto';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEndpointsService } from './webhook-endpoints.service';

const EndpointListDto = PageDto(WebhookEndpointDto, 'WebhookEndpointListDto');
const DeliveryListDto = PageDto(WebhookDeliveryDto, 'WebhookDeliveryListDto');

function toEndpointDto(endpoint: WebhookEndpoint): WebhookEndpointDto {
  return {
    id: endpoint.id,
    url: endpoint.url,
    description: endpoint.description,
    event_types: endpoint.eventTypes,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabledReason,
    previous_secret_expires_at: endpoint.previousSecretExpiresAt?.toISOString() ?? null,
    failing_since: endpoint.failingSince?.toISOString() ?? null,
    created_at: endpoint.createdAt.toISOString(),
    updated_at: endpoint.updatedAt.toISOString(),
  };
}

function toDeliveryDto(delivery: WebhookDelivery): WebhookDeliveryDto {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    attempt: delivery.attempt,
    outcome: delivery.outcome,
    status_code: delivery.statusCode,
    error: delivery.error,
    latency_ms: delivery.latencyMs,
    response_body: delivery.responseBody,
    attempted_at: delivery.attemptedAt.toISOString(),
  };
}

/**
 * Outbound webhook endpoints of the calling admin (`/v1/admin/webhooks`): another admin's
 * endpoints are not found. A signing secret appears only in the response that created it.
 */
@ApiTags('webhooks')
@Controller('v1/admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhookEndpointsService) {}

  @Post()
  @RequirePermission('webhooks:write')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Register a webhook endpoint',
    description: 'The response carries its signing secret, which is shown only here.',
  })
  @ApiCreatedResponse({ type: CreatedWebhookEndpointDto })
  async create(
    @Body() body: CreateWebhookEndpointDto,
    @RequestActor() actor: Actor,
  ): Promise<CreatedWebhookEndpointDto> {
    const { endpoint, secret } = await this.webhooks.create(
      {
        url: body.url,
        description: body.description ?? '',
        eventTypes: body.event_types,
        enabled: body.enabled ?? true,
      },
      actor,
    );
    return { ...toEndpointDto(endpoint), secret };
  }

  @Get()
  @RequirePermission('webhooks:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'List your webhook endpoints, oldest first' })
  @ApiOkResponse({ type: EndpointListDto })
  async list(
    @Query() query: PageQueryDto,
    @RequestActor() actor: Actor,
  ): Promise<Page<WebhookEndpointDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeCursor(query.cursor, (key) => isUUID(key)) : null;
    const rows = await this.webhooks.list(actor, limit + 1, after);
    return toPage(rows, limit, (row) => row.id, toEndpointDto);
  }

  @Get(':id')
  @RequirePermission('webhooks:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'A webhook endpoint (never its secret)' })
  @ApiOkResponse({ type: WebhookEndpointDto })
  @ApiNotFoundResponse()
  async get(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<WebhookEndpointDto> {
    return toEndpointDto(await this.webhooks.get(actor, id));
  }

  @Patch(':id')
  @RequirePermission('webhooks:write')
  @ApiOperation({ summary: 'Change a webhook endpoint’s URL, description, filter or state' })
  @ApiOkResponse({ type: WebhookEndpointDto })
  @ApiNotFoundResponse()
  async update(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UpdateWebhookEndpointDto,
    @RequestActor() actor: Actor,
  ): Promise<WebhookEndpointDto> {
    const endpoint = await this.webhooks.update(actor, id, {
      url: body.url,
      description: body.description,
      eventTypes: body.event_types,
      enabled: body.enabled,
    });
    return toEndpointDto(endpoint);
  }

  @Delete(':id')
  @RequirePermission('webhooks:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint and its delivery log' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  delete(@Param('id', uuidParam('id')) id: string, @RequestActor() actor: Actor): Promise<void> {
    return this.webhooks.delete(actor, id);
  }

  @Post(':id/secret/rotate')
  @RequirePermission('webhooks:write')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Replace the signing secret',
    description:
      'The previous secret keeps signing for 24 hours: deliveries carry both signatures ' +
      'meanwhile. The new secret is shown only in this response.',
  })
  @ApiOkResponse({ type: RotatedSecretDto })
  @ApiNotFoundResponse()
  async rotate(
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<RotatedSecretDto> {
    const { secret, previousValidUntil } = await this.webhooks.rotateSecret(actor, id);
    return { secret, previous_secret_expires_at: previousValidUntil!.toISOString() };
  }

  @Get(':id/deliveries')
  @RequirePermission('webhooks:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The endpoint’s delivery attempts, newest first' })
  @ApiOkResponse({ type: DeliveryListDto })
  @ApiNotFoundResponse()
  async deliveries(
    @Param('id', uuidParam('id')) id: string,
    @Query() query: DeliveryQueryDto,
    @RequestActor() actor: Actor,
  ): Promise<Page<WebhookDeliveryDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = query.cursor ? decodeCursor(query.cursor, (key) => isUUID(key)) : null;
    const rows = await this.webhooks.deliveryLog(
      actor,
      id,
      { eventId: query.event_id, outcome: query.outcome },
      limit + 1,
      before,
    );
    return toPage(rows, limit, (row) => row.id, toDeliveryDto);
  }

  @Post(':id/deliveries/:eventId/redeliver')
  @RequirePermission('webhooks:write')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Deliver one event again',
    description: 'A new first attempt, with the event’s own `webhook-id`.',
  })
  @ApiAcceptedResponse()
  @ApiNotFoundResponse()
  redeliver(
    @Param('id', uuidParam('id')) id: string,
    @Param('eventId', uuidParam('eventId')) eventId: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    return this.webhooks.redeliver(actor, id, eventId);
  }

  @Post(':id/replay')
  @RequirePermission('webhooks:write')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Deliver again every event of a time range that the endpoint takes',
    description: 'Events that occurred in [from, to), at most 7 days, still kept in the outbox.',
  })
  @ApiAcceptedResponse({ type: ReplayQueuedDto })
  @ApiNotFoundResponse()
  async replay(
    @Param('id', uuidParam('id')) id: string,
    @Body() body: ReplayDto,
    @RequestActor() actor: Actor,
  ): Promise<ReplayQueuedDto> {
    const queued = await this.webhooks.replay(actor, id, new Date(body.from), new Date(body.to));
    return { queued };
  }
}

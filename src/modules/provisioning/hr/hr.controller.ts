import {
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Param,
  PipeTransform,
  Post,
  Req,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../../common/auth/public.decorator';
import { RequirePermission } from '../../../common/auth/require-permission.decorator';
import { invalidFields } from '../../../common/errors/invalid-fields';
import { RawBody } from '../../../common/http/json-body';
import { createValidationPipe } from '../../../common/validation/validation.pipe';
import {
  AcceptedHireDto,
  EnrichedEmployeeDto,
  EnrichmentStatusDto,
  NewHireDto,
} from './dto/new-hire.dto';
import { HrDeliveries } from './hr-deliveries.service';
import { HrEnrichment } from './hr-enrichment.entity';
import { HrRecords } from './hr-records.service';

const validation = createValidationPipe();

/** An employee id in the path: what the payload allows, else a 422 naming it. */
const employeeIdParam: PipeTransform<string, string> = {
  transform: (value) => {
    if (!/^[\x21-\x7e]{1,100}$/.test(value)) {
      throw invalidFields([{ field: 'employee_id', message: 'is not an employee id' }]);
    }
    return value;
  },
};

function toEmployeeDto(record: HrEnrichment): EnrichedEmployeeDto {
  const onboarded = record.status === 'completed';
  return {
    id: onboarded ? record.userId : null,
    name: `${record.preferredName ?? record.firstName} ${record.lastName}`,
    email: record.email,
    title: record.title,
    department: record.department,
    startDate: record.startDate,
    groups: record.groups.map((group) => group.name),
    applications: record.applications,
    onboarded,
  };
}

function toStatusDto(record: HrEnrichment): EnrichmentStatusDto {
  return {
    enrichment_id: record.id,
    employee_id: record.employeeId,
    status: record.status,
    reason: record.reason,
    attempts: record.attempts,
    created_at: record.createdAt.toISOString(),
    started_at: record.startedAt?.toISOString() ?? null,
    finished_at: record.finishedAt?.toISOString() ?? null,
    next_attempt_at: record.nextAttemptAt?.toISOString() ?? null,
    updated_at: record.updatedAt.toISOString(),
  };
}

/**
 * HR onboarding (`/v1/hr`): HR sources post new hires, answered 202 before any enrichment; the
 * enriched records and the enrichments' statuses are read with `hr_employees:read`.
 */
@ApiTags('hr onboarding')
@Controller('v1/hr')
export class HrController {
  constructor(
    private readonly deliveries: HrDeliveries,
    private readonly records: HrRecords,
  ) {}

  @Post('webhook')
  @Public()
  @RawBody()
  @HttpCode(202)
  @ApiOperation({
    summary: 'A new hire from an HR source',
    description:
      "Authenticated by the source's API key (`X-API-Key`) or by a Standard Webhooks signature " +
      '(`X-HR-Source` naming the source, `webhook-id`, `webhook-timestamp` within 5 minutes, ' +
      '`webhook-signature`); rate-limited per source; one enrichment per `webhook-id`, and per ' +
      'employee and payload. Credentials are checked before the body is validated.',
  })
  @ApiHeader({ name: 'X-API-Key', required: false })
  @ApiHeader({ name: 'X-HR-Source', required: false, description: 'The source id (signatures)' })
  @ApiHeader({ name: 'webhook-id', required: false })
  @ApiHeader({ name: 'webhook-timestamp', required: false })
  @ApiHeader({ name: 'webhook-signature', required: false })
  @ApiAcceptedResponse({ type: AcceptedHireDto })
  @ApiUnauthorizedResponse({ description: '`invalid_hr_authentication`' })
  @ApiUnprocessableEntityResponse({ description: '`validation_failed`, naming the fields' })
  @ApiPayloadTooLargeResponse({ description: '`payload_too_large`' })
  @ApiTooManyRequestsResponse({ description: "The source's rate limit" })
  async receive(
    @Headers() headers: Record<string, string | undefined>,
    @Req() request: FastifyRequest,
    @Body() body: unknown,
  ): Promise<AcceptedHireDto> {
    const delivery = await this.deliveries.authenticate(
      {
        apiKey: headers['x-api-key'],
        sourceId: headers['x-hr-source'],
        webhookId: headers['webhook-id'],
        webhookTimestamp: headers['webhook-timestamp'],
        webhookSignature: headers['webhook-signature'],
      },
      request.rawBody,
    );
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalidFields([{ field: 'body', message: 'must be a JSON object' }]);
    }
    const hire = (await validation.transform(body, {
      type: 'body',
      metatype: NewHireDto,
    })) as NewHireDto;
    await this.deliveries.accept(delivery, {
      employeeId: hire.employee_id,
      firstName: hire.first_name,
      lastName: hire.last_name,
      preferredName: hire.preferred_name ?? null,
      email: hire.email,
      title: hire.title ?? null,
      department: hire.department ?? null,
      startDate: hire.start_date,
    });
    return {
      status: 'accepted',
      message: 'The new hire is being enriched from Okta.',
      employee_id: hire.employee_id,
      email: hire.email,
    };
  }

  @Get('users/:employee_id')
  @RequirePermission('hr_employees:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'A new hire, enriched',
    description:
      "The employee id's latest completed enrichment (of any source), else its latest, not onboarded.",
  })
  @ApiOkResponse({ type: EnrichedEmployeeDto })
  @ApiNotFoundResponse()
  async employee(
    @Param('employee_id', employeeIdParam) employeeId: string,
  ): Promise<EnrichedEmployeeDto> {
    return toEmployeeDto(await this.records.employee(employeeId));
  }

  @Get('enrichments/:employee_id')
  @RequirePermission('hr_employees:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: "The status of the employee's latest enrichment" })
  @ApiOkResponse({ type: EnrichmentStatusDto })
  @ApiNotFoundResponse()
  async enrichment(
    @Param('employee_id', employeeIdParam) employeeId: string,
  ): Promise<EnrichmentStatusDto> {
    return toStatusDto(await this.records.latest(employeeId));
  }
}

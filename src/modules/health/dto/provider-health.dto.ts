import { ApiProperty } from '@nestjs/swagger';
import type { PartProbe, ProviderProbe } from '../../federation/provider-reachability';

export class PartHealthDto {
  @ApiProperty({ enum: ['up', 'down'] }) status!: 'up' | 'down';
  @ApiProperty({ description: 'How long the probe took, in milliseconds' }) latency_ms!: number;
  @ApiProperty({
    nullable: true,
    example: 'timeout',
    description:
      'Why it is down: `timeout`, `connection`, `dns`, `address_refused`, `too_large`, ' +
      '`http_<status>`, `invalid_answer`, `issuer_mismatch`',
  })
  error!: string | null;
}

export class LastProviderErrorDto {
  @ApiProperty({ enum: ['discovery', 'management_api'] }) part!: string;
  @ApiProperty({ example: 'timeout' }) error!: string;
  @ApiProperty() at!: string;
}

export class ProviderHealthDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() display_name!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({
    enum: ['up', 'degraded', 'down'],
    description: 'up: every part answers; down: none does; degraded: some do',
  })
  status!: 'up' | 'degraded' | 'down';
  @ApiProperty({ description: 'When the provider was probed (results are reused for 30 s)' })
  checked_at!: string;
  @ApiProperty({ type: PartHealthDto, description: 'The discovery document' })
  discovery!: PartHealthDto;
  @ApiProperty({
    type: PartHealthDto,
    nullable: true,
    description: 'The management API, when one is configured',
  })
  management_api!: PartHealthDto | null;
  @ApiProperty({
    type: LastProviderErrorDto,
    nullable: true,
    description: 'The last failure this instance saw, even when the provider is up again since',
  })
  last_error!: LastProviderErrorDto | null;
}

export class ProviderHealthListDto {
  @ApiProperty({ type: [ProviderHealthDto] }) items!: ProviderHealthDto[];
}

function partDto(part: PartProbe): PartHealthDto {
  return { status: part.up ? 'up' : 'down', latency_ms: part.latencyMs, error: part.error };
}

export function toProviderHealthDto(probe: ProviderProbe): ProviderHealthDto {
  const parts = [probe.discovery, probe.managementApi].filter((part) => part !== null);
  const up = parts.filter((part) => part.up).length;
  return {
    id: probe.providerId,
    slug: probe.slug,
    display_name: probe.displayName,
    kind: probe.kind,
    status: up === parts.length ? 'up' : up === 0 ? 'down' : 'degraded',
    checked_at: probe.checkedAt.toISOString(),
    discovery: partDto(probe.discovery),
    management_api: probe.managementApi ? partDto(probe.managementApi) : null,
    last_error: probe.lastError
      ? {
          part: probe.lastError.part,
          error: probe.lastError.error,
          at: probe.lastError.at.toISOString(),
        }
      : null,
  };
}

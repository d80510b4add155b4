import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { ProviderReachability } from '../federation/provider-reachability';
import { ProviderHealthListDto, toProviderHealthDto } from './dto/provider-health.dto';

/**
 * The detailed view of the identity providers' health, for administrators: it names the
 * configured providers, so unlike the probes it needs a permission. Always 200: a provider down
 * is reported, never a reason for Gatehouse to be unready.
 */
@ApiTags('health')
@Controller('health')
export class ProviderHealthController {
  constructor(private readonly reachability: ProviderReachability) {}

  @Get('providers')
  @RequirePermission('identity_providers:read')
  @ApiOperation({
    summary:
      "Each enabled identity provider's reachability: discovery document and management API, " +
      'latency and last error (probed at most every 30 s)',
  })
  @ApiOkResponse({ type: ProviderHealthListDto })
  async providers(): Promise<ProviderHealthListDto> {
    const probes = await this.reachability.report();
    return { items: probes.map(toProviderHealthDto) };
  }
}

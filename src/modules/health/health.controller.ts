import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Problem, PROBLEM_CONTENT_TYPE } from '../../common/errors/problem';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { HealthStatusDto } from './dto/health-status.dto';
import { RedisHealthIndicator } from './redis.health';
import { Public } from '../../common/auth/public.decorator';

@Public()
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  @ApiOkResponse({ type: HealthStatusDto })
  live(): HealthStatusDto {
    return { status: 'ok', checks: {} };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when configured) answer' })
  @ApiOkResponse({ type: HealthStatusDto })
  @ApiServiceUnavailableResponse({
    description: 'A dependency is down; `checks` names it',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(Problem) } } },
  })
  async ready(): Promise<HealthStatusDto> {
    const timeout = this.config.health.checkTimeoutMs;
    const checks = [() => this.database.pingCheck('database').withTimeout(timeout)];
    if (this.redis.configured) checks.push(() => this.redis.ping('redis', timeout));
    try {
      const result = await this.health.check(checks);
      return { status: 'ok', checks: summarize(result.details) };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const { details = {} } = error.getResponse() as { details?: Record<string, unknown> };
      const summary = summarize(details);
      const down = Object.keys(summary).filter((name) => summary[name] !== 'up');
      throw new DomainError(
        CommonErrorCode.DependencyUnavailable,
        `Not ready: ${down.join(', ')} unavailable.`,
        { extensions: { checks: summary } },
      );
    }
  }
}

/** Only up/down leaves the service: driver messages name hosts and ports. */
function summarize(details: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(details).map(([name, detail]) => [
      name,
      (detail as { status?: string } | undefined)?.status === 'up' ? 'up' : 'down',
    ]),
  );
}

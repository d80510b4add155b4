import { Body, Controller, Get, Header, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, CurrentCaller, CurrentPrincipal, Principal } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { AuthzService } from './authz.service';
import { BatchCheckRequestDto, CheckRequestDto } from './dto/check-request.dto';
import { BatchDecisionDto, DecisionDto, EffectivePermissionsDto } from './dto/decision.dto';
import { ExplainQueryDto } from './dto/explain-query.dto';
import { SimulateRequestDto } from './dto/simulate-request.dto';

@ApiTags('authz')
@Controller('v1')
export class AuthzController {
  constructor(private readonly authz: AuthzService) {}

  @Post('authz/check')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @RequirePermission('authz:check')
  @ApiOperation({
    summary: 'May this subject do this action on this resource?',
    description:
      'Default deny; the highest-priority matching policy or role permission decides, deny ' +
      'winning ties. `min_policy_set_version` gives read-your-writes after a policy change.',
  })
  @ApiOkResponse({ type: DecisionDto })
  async check(
    @Body() body: CheckRequestDto,
    @Query() query: ExplainQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<DecisionDto> {
    return this.authz.check(body, await this.explains(query, caller));
  }

  @Post('authz/check/batch')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @RequirePermission('authz:check')
  @ApiOperation({ summary: 'Up to 100 checks, answered in order on one policy set' })
  @ApiOkResponse({ type: BatchDecisionDto })
  async checkBatch(
    @Body() body: BatchCheckRequestDto,
    @Query() query: ExplainQueryDto,
    @CurrentCaller() caller: Caller,
  ): Promise<BatchDecisionDto> {
    return {
      results: await this.authz.checkBatch(body.checks, await this.explains(query, caller)),
    };
  }

  /** A trace shows the policies' names and conditions: only for who may read the policies. */
  private async explains(query: ExplainQueryDto, caller: Caller): Promise<boolean> {
    if (query.explain !== 'true') return false;
    if (await this.authz.callerMay(caller, 'policies:read')) return true;
    throw new DomainError(
      CommonErrorCode.Forbidden,
      'explain=true shows the policies: it needs the policies:read permission.',
    );
  }

  @Post('authz/simulate')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @RequirePermission('policies:read')
  @ApiOperation({
    summary: 'Decide a request on unsaved policies',
    description:
      'The drafts alone, or with `include_stored_policies` the stored set as it would be with ' +
      'the drafts saved. The stored roles’ permissions apply. The answer always has its trace.',
  })
  @ApiOkResponse({ type: DecisionDto })
  simulate(@Body() body: SimulateRequestDto): Promise<DecisionDto> {
    return this.authz.simulate(body);
  }

  @Get('users/me/permissions')
  @Header('cache-control', 'no-store')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The caller’s roles and the permissions they grant' })
  @ApiOkResponse({ type: EffectivePermissionsDto })
  permissions(@CurrentPrincipal() principal: Principal): Promise<EffectivePermissionsDto> {
    return this.authz.permissionsOfUser(principal.userId);
  }
}

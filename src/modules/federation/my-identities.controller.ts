import { Controller, Delete, Get, Header, HttpCode, Param } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { CurrentPrincipal, Principal } from '../../common/auth/principal';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { LinkedIdentityListDto, toLinkedIdentityDto } from './dto/linked-identity.dto';
import { LinkedIdentitiesService } from './linked-identities.service';

/** The caller's own linked identities (`/v1/users/me/identities`). */
@ApiTags('federation')
@ApiBearerAuth()
@Controller('v1/users/me/identities')
export class MyIdentitiesController {
  constructor(private readonly identities: LinkedIdentitiesService) {}

  @Get()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Your identities at external providers, oldest first' })
  @ApiOkResponse({ type: LinkedIdentityListDto })
  async list(@CurrentPrincipal() principal: Principal): Promise<LinkedIdentityListDto> {
    const identities = await this.identities.listOfUser(principal.userId);
    return { items: identities.map(toLinkedIdentityDto) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Unlink one of your identities',
    description:
      'It no longer signs you in. The last way to sign in (no password, no other identity) ' +
      'cannot be removed: 409 `last_sign_in_method`.',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: '`last_sign_in_method`' })
  async unlink(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.identities.unlink(principal.userId, id, { client });
  }
}

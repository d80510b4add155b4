import { Controller, Get, Header, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { LinkedIdentityListDto, toLinkedIdentityDto } from './dto/linked-identity.dto';
import { LinkedIdentitiesService } from './linked-identities.service';

/** A user's linked identities as administrators see them. */
@ApiTags('admin users')
@Controller('v1/admin/users/:id/identities')
export class UserIdentitiesController {
  constructor(private readonly identities: LinkedIdentitiesService) {}

  @Get()
  @RequirePermission('users:read')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: "A user's identities at external providers" })
  @ApiOkResponse({ type: LinkedIdentityListDto })
  @ApiNotFoundResponse()
  async list(@Param('id', uuidParam('id')) id: string): Promise<LinkedIdentityListDto> {
    const identities = await this.identities.listForAdministrator(id);
    return { items: identities.map(toLinkedIdentityDto) };
  }
}

import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { JwksDto } from './dto/jwks.dto';
import { JWKS_MAX_AGE_S, SigningKeyService } from './signing-key.service';
import { Public } from '../../common/auth/public.decorator';

@Public()
@ApiTags('well-known')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly signingKeys: SigningKeyService) {}

  @Get('jwks.json')
  // Safe to cache: a next key is published PUBLICATION_LEAD_MS (more than this) before it signs.
  @Header('cache-control', `public, max-age=${JWKS_MAX_AGE_S}`)
  @Header('content-type', 'application/jwk-set+json')
  @ApiOperation({ summary: 'Public keys that verify Gatehouse access tokens (RFC 7517)' })
  @ApiProduces('application/jwk-set+json')
  @ApiOkResponse({ type: JwksDto })
  async jwks(): Promise<JwksDto> {
    return { keys: await this.signingKeys.publishedKeys() };
  }
}

import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JwksDto } from './dto/jwks.dto';
import { SigningKeyService } from './signing-key.service';

@ApiTags('well-known')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly signingKeys: SigningKeyService) {}

  @Get('jwks.json')
  // Safe to cache: a key is published a whole rotation period before it signs anything.
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify Gatehouse access tokens (RFC 7517)' })
  @ApiOkResponse({ type: JwksDto })
  async jwks(): Promise<JwksDto> {
    return { keys: await this.signingKeys.publishedKeys() };
  }
}

import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { Public } from '../../common/auth/public.decorator';
import { toLoginDto } from '../auth/auth.controller';
import { TokenPairDto } from '../auth/dto/auth-responses.dto';
import { MfaChallengeDto } from '../auth/dto/second-factor.dto';
import { FederationCallbackDto, FederationStartQueryDto } from './dto/federation.dto';
import { FederatedSignInService } from './federated-sign-in.service';

const SIGN_IN_RESPONSE = {
  schema: {
    oneOf: [{ $ref: getSchemaPath(TokenPairDto) }, { $ref: getSchemaPath(MfaChallengeDto) }],
  },
};

const CALLBACK_DESCRIPTION =
  'Exchanges the code (PKCE) and checks the ID token; the state is used once and lives 10 ' +
  'minutes. Answers as a login: a token pair with `amr` ["fed"] (["fed", "mfa"] when the ' +
  'provider asserted a second factor), or `mfa_required` with an `mfa_token`. A provider that ' +
  'cannot be reached is a 502 `identity_provider_unavailable`.';

/** Sign-in through an external identity provider (`/v1/auth/federation/{provider}`). */
@ApiTags('federation')
@Controller('v1/auth/federation/:provider')
export class FederationController {
  constructor(private readonly signIn: FederatedSignInService) {}

  @Public()
  @Get('start')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Start a sign-in with an identity provider',
    description:
      "Redirects (302) to the provider's authorization URL, with state, nonce and a PKCE " +
      'S256 challenge kept server-side. `redirect_uri` must be registered for the provider.',
  })
  @ApiFoundResponse({ description: "Location: the provider's authorization URL" })
  @ApiBadRequestResponse({ description: '`redirect_uri_not_allowed`' })
  async start(
    @Param('provider') provider: string,
    @Query() query: FederationStartQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const url = await this.signIn.start(provider, query.redirect_uri);
    void reply.status(302).header('location', url);
  }

  @Public()
  @Post('callback')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Complete a sign-in with the authorization response',
    description: CALLBACK_DESCRIPTION,
  })
  @ApiOkResponse(SIGN_IN_RESPONSE)
  async callback(
    @Param('provider') provider: string,
    @Body() body: FederationCallbackDto,
    @Client() client: ClientInfo,
  ): Promise<TokenPairDto | MfaChallengeDto> {
    return toLoginDto(await this.signIn.complete(provider, body, client));
  }

  @Public()
  @Get('callback')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Complete a sign-in redirected here by the provider',
    description: CALLBACK_DESCRIPTION,
  })
  @ApiOkResponse(SIGN_IN_RESPONSE)
  async callbackRedirect(
    @Param('provider') provider: string,
    @Query() query: FederationCallbackDto,
    @Client() client: ClientInfo,
  ): Promise<TokenPairDto | MfaChallengeDto> {
    return toLoginDto(await this.signIn.complete(provider, query, client));
  }
}

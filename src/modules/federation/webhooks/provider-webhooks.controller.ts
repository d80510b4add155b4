import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../../common/auth/public.decorator';
import { DomainError } from '../../../common/errors/domain-error';
import { CommonErrorCode } from '../../../common/errors/error-code';
import { RawBody } from '../../../common/http/json-body';
import { ProviderWebhooks } from './provider-webhooks.service';

const MAX_CHALLENGE = 512;

/**
 * Identity providers' webhooks (`/v1/webhooks/{okta|asgardeo}/{provider}`): authenticated by
 * the provider's secret, stored, and acknowledged with an empty 204 before any processing.
 */
@ApiTags('federation')
@Public()
@Controller('v1/webhooks')
export class ProviderWebhooksController {
  constructor(private readonly webhooks: ProviderWebhooks) {}

  @Get('okta/:provider')
  @ApiOperation({
    summary: "Okta event hook's one-time verification",
    description:
      'Echoes `x-okta-verification-challenge` as `{"verification": …}` once the configured ' +
      '`Authorization` value is presented.',
  })
  @ApiOkResponse({ description: '`{"verification": "<challenge>"}`' })
  @ApiUnauthorizedResponse({ description: '`invalid_webhook_signature`' })
  async verifyOkta(
    @Param('provider') provider: string,
    @Headers('authorization') authorization: string | undefined,
    @Headers('x-okta-verification-challenge') challenge: string | undefined,
  ): Promise<{ verification: string }> {
    await this.webhooks.verifyOkta(provider, authorization);
    return { verification: checkedChallenge(challenge, 'x-okta-verification-challenge') };
  }

  @Post('okta/:provider')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Okta event hook delivery',
    description:
      'Stores the user events of the batch (each once, by its `uuid`) for a job that re-reads ' +
      "the users from Okta's management API, and answers 204 at once.",
  })
  @ApiNoContentResponse({ description: 'Stored (or already received)' })
  @ApiBadRequestResponse({ description: '`malformed_body`' })
  @ApiUnauthorizedResponse({ description: '`invalid_webhook_signature`' })
  @ApiNotFoundResponse({ description: 'No such Okta provider' })
  async receiveOkta(
    @Param('provider') provider: string,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
  ): Promise<void> {
    await this.webhooks.receiveOkta(provider, authorization, body);
  }

  @Get('asgardeo/:provider')
  @ApiOperation({
    summary: 'Asgardeo WebSub (un)subscription verification',
    description: 'Answers `hub.challenge` as plain text for `hub.mode` subscribe or unsubscribe.',
  })
  @ApiOkResponse({ description: 'The challenge, as text/plain' })
  async verifyAsgardeo(
    @Param('provider') provider: string,
    @Query('hub.mode') mode: string | undefined,
    @Query('hub.challenge') challenge: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    if (mode !== 'subscribe' && mode !== 'unsubscribe') {
      throw new DomainError(
        CommonErrorCode.ValidationFailed,
        '`hub.mode` must be subscribe or unsubscribe.',
        {
          errors: [{ field: 'hub.mode', message: 'must be subscribe or unsubscribe' }],
        },
      );
    }
    await this.webhooks.verifyAsgardeo(provider);
    void reply.header('content-type', 'text/plain; charset=utf-8');
    return checkedChallenge(challenge, 'hub.challenge');
  }

  @Post('asgardeo/:provider')
  @HttpCode(204)
  @RawBody()
  @ApiOperation({
    summary: 'Asgardeo / WSO2 IS user event delivery',
    description:
      'Checks `X-Hub-Signature` (or `x-wso2-event-signature`): `sha256=` and the hex ' +
      'HMAC-SHA256 of the raw body under the webhook secret; stores the user events (each once, ' +
      'by `jti` and type) for a job, and answers 204 at once.',
  })
  @ApiNoContentResponse({ description: 'Stored (or already received)' })
  @ApiBadRequestResponse({ description: '`malformed_body`' })
  @ApiUnauthorizedResponse({ description: '`invalid_webhook_signature`' })
  @ApiNotFoundResponse({ description: 'No such Asgardeo provider' })
  async receiveAsgardeo(
    @Param('provider') provider: string,
    @Headers('x-hub-signature') hubSignature: string | undefined,
    @Headers('x-wso2-event-signature') wso2Signature: string | undefined,
    @Req() request: FastifyRequest,
    @Body() body: unknown,
  ): Promise<void> {
    await this.webhooks.receiveAsgardeo(
      provider,
      hubSignature ?? wso2Signature,
      request.rawBody,
      body,
    );
  }
}

function checkedChallenge(challenge: string | undefined, field: string): string {
  if (!challenge || challenge.length > MAX_CHALLENGE || !/^[\x21-\x7e]+$/.test(challenge)) {
    throw new DomainError(CommonErrorCode.ValidationFailed, `\`${field}\` is missing or invalid.`, {
      errors: [{ field, message: 'is missing or invalid' }],
    });
  }
  return challenge;
}

import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, RequestActor } from '../../common/auth/actor';
import { Client, ClientInfo } from '../../common/auth/client-info';
import { CurrentCaller, CurrentPrincipal, Caller, Principal } from '../../common/auth/principal';
import { Public } from '../../common/auth/public.decorator';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { DomainError } from '../../common/errors/domain-error';
import { AuthErrorCode } from '../../common/errors/error-code';
import {
  decodeCursor,
  DEFAULT_PAGE_SIZE,
  Page,
  PageQueryDto,
  toPage,
} from '../../common/http/pagination';
import { uuidParam } from '../../common/validation/uuid-param.pipe';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { isUUID } from 'class-validator';
import {
  BrokerSessionDto,
  ChangeMemberRoleDto,
  InvitationAnswerDto,
  InviteMemberDto,
  LinkCallbackDto,
  LinkStartedDto,
  MemberDto,
  SessionRequestDto,
  StartLinkDto,
  toMemberDto,
  toTradingAccountDto,
  TradingAccountDto,
  TradingAccountPageDto,
  TransferOwnershipDto,
  UpdateTradingAccountDto,
} from './dto/trading-account.dto';
import { TradingAccountMembers } from './trading-account-members.service';
import { TradingAccountSessions } from './trading-account-sessions.service';
import { TradingAccountSync } from './trading-account-sync';
import { TradingAccountsService } from './trading-accounts.service';
import { LinkBrowserBinding } from './link-browser-binding';

@ApiTags('trading-accounts')
@Controller('v1/trading-accounts')
export class TradingAccountsController {
  constructor(
    private readonly accounts: TradingAccountsService,
    private readonly members: TradingAccountMembers,
    private readonly sessions: TradingAccountSessions,
    private readonly sync: TradingAccountSync,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('links')
  @ApiBearerAuth()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Start linking a Kite account: the login URL to send the browser to',
    description:
      'With the platform app, or your own (`api_key` and `api_secret`, kept in the vault). The ' +
      '`state` in `redirect_params` comes back on the redirect; it is signed, single-use and ' +
      'expires (TRADING_LINK_TTL_SECONDS). Sets a cookie for the callback path binding the link ' +
      'to this browser: a browser redirect completes it only there; other clients complete it ' +
      'with `POST /links/callback`.',
  })
  @ApiCreatedResponse({ type: LinkStartedDto })
  async startLink(
    @CurrentPrincipal() principal: Principal,
    @Body() body: StartLinkDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LinkStartedDto> {
    const own =
      body.api_key !== undefined && body.api_secret !== undefined
        ? { apiKey: body.api_key, apiSecret: body.api_secret }
        : null;
    const link = await this.accounts.startLink(principal.userId, own);
    const maxAge = Math.ceil((link.expiresAt.getTime() - Date.now()) / 1000);
    void reply.header(
      'set-cookie',
      LinkBrowserBinding.cookie(this.config.http.publicUrl, link.id, link.browserNonce, maxAge),
    );
    return {
      login_url: link.loginUrl,
      state: link.state,
      expires_at: link.expiresAt.toISOString(),
    };
  }

  @Get('links/callback')
  @Public()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: "Kite's redirect after login: completes the link the state names",
    description:
      'The browser arrives here from Kite with `request_token`, `status` and the `state`. The ' +
      'state names the user who started the link, and binds it to the browser that started ' +
      'it: the cookie `POST /links` set (HttpOnly, SameSite=Lax) must come back with it, or ' +
      'the answer is 403 `link_started_elsewhere` and the state stays usable there.',
  })
  @ApiOkResponse({ type: TradingAccountDto })
  async callback(
    @Query() query: LinkCallbackDto,
    @Client() client: ClientInfo,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TradingAccountDto> {
    const account = await this.accounts.completeLink(
      { state: query.state, requestToken: query.request_token, status: query.status },
      { kind: 'browser', cookies: request.headers.cookie },
      client,
    );
    const linkId = query.state.split('.')[0];
    void reply.header('set-cookie', LinkBrowserBinding.cleared(this.config.http.publicUrl, linkId));
    return toTradingAccountDto(account);
  }

  @Post('links/callback')
  @HttpCode(200)
  @ApiBearerAuth()
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Complete a link from a web client that received the redirect',
    description: 'The state must be one the signed-in user started.',
  })
  @ApiOkResponse({ type: TradingAccountDto })
  async completeLink(
    @CurrentPrincipal() principal: Principal,
    @Body() body: LinkCallbackDto,
    @Client() client: ClientInfo,
  ): Promise<TradingAccountDto> {
    const account = await this.accounts.completeLink(
      { state: body.state, requestToken: body.request_token, status: body.status },
      { kind: 'user', userId: principal.userId },
      client,
    );
    return toTradingAccountDto(account);
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The accounts the user owns or is a member of' })
  @ApiOkResponse({ type: TradingAccountPageDto })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<Page<TradingAccountDto>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after = query.cursor ? decodeCursor(query.cursor, (key) => isUUID(key)) : null;
    const rows = await this.accounts.list(principal.userId, after, limit + 1);
    return toPage(rows, limit, (row) => row.account.id, toTradingAccountDto);
  }

  @Get('invitations')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Invitations to accounts waiting for the user’s answer' })
  @ApiOkResponse({ type: [MemberDto] })
  async invitations(@CurrentPrincipal() principal: Principal): Promise<MemberDto[]> {
    return (await this.members.invitations(principal.userId)).map(toMemberDto);
  }

  @Get(':id')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'One account (404 unless the user owns it or is a member)' })
  @ApiOkResponse({ type: TradingAccountDto })
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<TradingAccountDto> {
    return toTradingAccountDto(await this.accounts.get(principal.userId, id));
  }

  @Patch(':id')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Rename the account (owner or manager)' })
  @ApiOkResponse({ type: TradingAccountDto })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: UpdateTradingAccountDto,
    @RequestActor() actor: Actor,
  ): Promise<TradingAccountDto> {
    const account = await this.accounts.rename(
      principal.userId,
      id,
      body.display_name.trim(),
      actor,
    );
    return toTradingAccountDto(account);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Unlink the account (owner): ends the broker session and destroys the credentials',
  })
  @ApiNoContentResponse()
  async unlink(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.accounts.unlink(principal.userId, id, actor);
  }

  @Post(':id/sync')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Read the broker profile and margins now (owner or manager)' })
  @ApiOkResponse({ type: TradingAccountDto })
  async syncNow(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @RequestActor() actor: Actor,
  ): Promise<TradingAccountDto> {
    const { account } = await this.accounts.manageable(principal.userId, id);
    await this.sync.syncNow(account, actor);
    return toTradingAccountDto(await this.accounts.get(principal.userId, id));
  }

  @Post(':id/session')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @RequirePermission('trading_accounts:credentials')
  @ApiOperation({
    summary: 'A usable broker session, for a sibling service acting for a user',
    description:
      'Needs a service token with `trading_accounts:credentials`. Answered only when the ' +
      'decision point allows the user `trading_account:trade` on the account (403 otherwise); ' +
      'rate-limited per service and audited.',
  })
  @ApiOkResponse({ type: BrokerSessionDto })
  async session(
    @CurrentCaller() caller: Caller,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: SessionRequestDto,
    @RequestActor() actor: Actor,
  ): Promise<BrokerSessionDto> {
    if (caller.kind !== 'service') {
      throw new DomainError(
        AuthErrorCode.UserTokenRequired,
        'A service token is required: users read their own accounts without credentials.',
      );
    }
    const session = await this.sessions.issue(id, body.user_id, actor);
    return {
      account_id: session.accountId,
      broker: session.broker,
      broker_user_id: session.brokerUserId,
      api_key: session.apiKey,
      access_token: session.accessToken,
      expires_at: session.expiresAt.toISOString(),
    };
  }

  @Get(':id/members')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Members and invitations (owner or manager)' })
  @ApiOkResponse({ type: [MemberDto] })
  async listMembers(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
  ): Promise<MemberDto[]> {
    return (await this.members.list(principal.userId, id)).map(toMemberDto);
  }

  @Post(':id/members')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Invite a user with a role (owner, or a manager for viewer/trader)' })
  @ApiCreatedResponse({ type: MemberDto })
  async invite(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: InviteMemberDto,
    @RequestActor() actor: Actor,
  ): Promise<MemberDto> {
    return toMemberDto(
      await this.members.invite(principal.userId, id, body.user_id, body.role, actor),
    );
  }

  @Put(':id/invitation')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Accept or decline your invitation to the account' })
  @ApiNoContentResponse()
  async answerInvitation(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: InvitationAnswerDto,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.members.answer(principal.userId, id, body.answer === 'accept', actor);
  }

  @Patch(':id/members/:userId')
  @ApiBearerAuth()
  @ApiOperation({ summary: "Change a member's role (owner, or a manager for viewer/trader)" })
  @ApiOkResponse({ type: MemberDto })
  async changeRole(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Param('userId', uuidParam('userId')) userId: string,
    @Body() body: ChangeMemberRoleDto,
    @RequestActor() actor: Actor,
  ): Promise<MemberDto> {
    return toMemberDto(
      await this.members.changeRole(principal.userId, id, userId, body.role, actor),
    );
  }

  @Delete(':id/members/:userId')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Remove a member or invitation (owner or manager), or leave' })
  @ApiNoContentResponse()
  async removeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Param('userId', uuidParam('userId')) userId: string,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.members.remove(principal.userId, id, userId, actor);
  }

  @Post(':id/transfer')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Hand the account to an active member (owner); you stay a manager' })
  @ApiNoContentResponse()
  async transfer(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidParam('id')) id: string,
    @Body() body: TransferOwnershipDto,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.members.transfer(principal.userId, id, body.user_id, actor);
  }
}

import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Res,
} from '@nestjs/common';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Actor, RequestActor } from '../../common/auth/actor';
import { Caller, CurrentCaller } from '../../common/auth/principal';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { provisioningScopeOf } from './provisioning-scope';
import { ScimEndpoint } from './scim-endpoint.decorator';
import { ScimGroupsService } from './scim-groups.service';
import { ResourceChange, ScimResources } from './scim-resources';
import { ScimUsersService } from './scim-users.service';
import { namesTag } from './scim/scim-etag';
import { ScimObject } from './scim/scim-filter-evaluator';
import { ListRequest, readListQuery, readSearchRequest } from './scim/scim-list-request';
import { applyPatch, readPatchRequest } from './scim/scim-patch';
import { checkSchemas, normalizeResource } from './scim/scim-document';
import { compileProjection } from './scim/scim-projection';
import { LIST_RESPONSE_SCHEMA } from './scim/scim-schema';

/** Operations one PATCH may hold. */
export const MAX_PATCH_OPERATIONS = 1000;

const RESOURCE_TYPES = ['Users', 'Groups'] as const;

const TYPE_PARAM = ApiParam({ name: 'type', enum: RESOURCE_TYPES });

/** A resource as POST and PUT send it whole: its schemas checked, its attributes normalized. */
function fullResource(resources: ScimResources, body: unknown): ScimObject {
  checkSchemas(resources.type, body);
  return normalizeResource(resources.type, body);
}

/** The tag of a single resource's answer. */
function describe(reply: FastifyReply, resource: ScimObject): ScimObject {
  const meta = resource.meta as { version: string; location: string };
  void reply.header('etag', meta.version);
  return resource;
}

/**
 * The SCIM resource endpoints (RFC 7644 §3.3–3.6): `/scim/v2/Users` and `/scim/v2/Groups`,
 * served by one controller over the two resource services, since the protocol is the same.
 * Single resources carry their version as `ETag`; `If-Match` guards PUT, PATCH and DELETE (412
 * when stale) and `If-None-Match` makes a GET of an unchanged resource a 304.
 */
@ScimEndpoint()
@Controller('scim/v2')
export class ScimResourcesController {
  constructor(
    private readonly users: ScimUsersService,
    private readonly groups: ScimGroupsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private resources(type: string): ScimResources {
    if (type === 'Users') return this.users;
    if (type === 'Groups') return this.groups;
    throw new DomainError(CommonErrorCode.RouteNotFound, `There is no resource type "${type}".`);
  }

  private async listResponse(type: string, request: ListRequest, caller: Caller) {
    const { resources, total } = await this.resources(type).list(
      request,
      provisioningScopeOf(caller),
    );
    return {
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: total,
      startIndex: request.startIndex,
      itemsPerPage: resources.length,
      Resources: resources,
    };
  }

  @Get(':type')
  @TYPE_PARAM
  @ApiOperation({
    summary: 'List or filter resources',
    description:
      'RFC 7644 §3.4.2: `filter` (the whole grammar), `sortBy`/`sortOrder`, `startIndex`/`count` ' +
      'and `attributes`/`excludedAttributes`; only the resources this client provisioned, unless ' +
      'its token holds `scim:provision_all`.',
  })
  list(
    @Param('type') type: string,
    @Query() query: Record<string, unknown>,
    @CurrentCaller() caller: Caller,
  ) {
    return this.listResponse(type, readListQuery(query, this.config.scim.maxPageSize), caller);
  }

  @Post(':type/.search')
  @HttpCode(200)
  @TYPE_PARAM
  @ApiOperation({ summary: 'Search resources with a SearchRequest body (RFC 7644 §3.4.3)' })
  search(@Param('type') type: string, @Body() body: unknown, @CurrentCaller() caller: Caller) {
    return this.listResponse(type, readSearchRequest(body, this.config.scim.maxPageSize), caller);
  }

  @Post(':type')
  @HttpCode(201)
  @TYPE_PARAM
  @ApiOperation({
    summary: 'Create a resource',
    description:
      'A User creates an active account (409 `uniqueness` when its userName or address is taken); ' +
      'a Group creates a role its members are granted.',
  })
  async create(
    @Param('type') type: string,
    @Body() body: unknown,
    @CurrentCaller() caller: Caller,
    @RequestActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const resources = this.resources(type);
    const scope = provisioningScopeOf(caller);
    const created = await resources.create(fullResource(resources, body), scope, caller, actor);
    void reply.header('location', (created.meta as { location: string }).location);
    return describe(reply, created);
  }

  @Get(':type/:id')
  @TYPE_PARAM
  @ApiOperation({ summary: 'Read a resource' })
  async get(
    @Param('type') type: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const resources = this.resources(type);
    const { attributes, excludedAttributes } = readListQuery(query, this.config.scim.maxPageSize);
    const projection = compileProjection(resources.type, { attributes, excludedAttributes });
    const resource = await resources.get(id, provisioningScopeOf(caller));
    const version = (resource.meta as { version: string }).version;
    if (ifNoneMatch !== undefined && namesTag(ifNoneMatch, version)) {
      void reply.status(304).header('etag', version);
      return undefined;
    }
    void reply.header('etag', version);
    return projection(resource);
  }

  @Put(':type/:id')
  @TYPE_PARAM
  @ApiOperation({ summary: 'Replace a resource (RFC 7644 §3.5.1)' })
  replace(
    @Param('type') type: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentCaller() caller: Caller,
    @RequestActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const resources = this.resources(type);
    const change = { ifMatch, scope: provisioningScopeOf(caller), caller, actor };
    const replacement = fullResource(resources, body);
    return this.update(reply, resources, id, change, () => replacement);
  }

  @Patch(':type/:id')
  @TYPE_PARAM
  @ApiOperation({ summary: 'Modify a resource with add, replace and remove (RFC 7644 §3.5.2)' })
  modify(
    @Param('type') type: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentCaller() caller: Caller,
    @RequestActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const resources = this.resources(type);
    const change = { ifMatch, scope: provisioningScopeOf(caller), caller, actor };
    const operations = readPatchRequest(body, MAX_PATCH_OPERATIONS);
    return this.update(reply, resources, id, change, (current) =>
      normalizeResource(resources.type, applyPatch(resources.type, current, operations)),
    );
  }

  private async update(
    reply: FastifyReply,
    resources: ScimResources,
    id: string,
    change: ResourceChange,
    next: (current: ScimObject) => ScimObject,
  ) {
    return describe(reply, await resources.update(id, change, next));
  }

  @Delete(':type/:id')
  @HttpCode(204)
  @TYPE_PARAM
  @ApiOperation({
    summary: 'Delete a resource',
    description:
      'A User: the account is deprovisioned (SCIM_DEPROVISION) and leaves its groups. A Group: its role and grants go.',
  })
  async delete(
    @Param('type') type: string,
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentCaller() caller: Caller,
    @RequestActor() actor: Actor,
  ): Promise<void> {
    await this.resources(type).delete(id, ifMatch, provisioningScopeOf(caller), actor);
  }
}

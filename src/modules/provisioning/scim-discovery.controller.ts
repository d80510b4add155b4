import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { SCIM_BASE_PATH } from '../../common/errors/scim-error-mapper';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ScimEndpoint } from './scim-endpoint.decorator';
import { LIST_RESPONSE_SCHEMA, RESOURCE_TYPES, SCHEMAS } from './scim/scim-schema';

const SERVICE_PROVIDER_CONFIG_SCHEMA =
  'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

function listOf(resources: object[]) {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/**
 * What the service provider supports (RFC 7644 §4): its configuration, resource types and
 * schemas, for clients that discover them (Okta and Entra ID read them when an app is set up).
 */
@ScimEndpoint()
@Controller('scim/v2')
export class ScimDiscoveryController {
  private readonly base: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.base = `${config.http.publicUrl}${SCIM_BASE_PATH}`;
  }

  @Get('ServiceProviderConfig')
  @ApiOperation({ summary: 'What this service provider supports (RFC 7643 §5)' })
  serviceProviderConfig() {
    return {
      schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
      documentationUri: `${this.config.http.publicUrl}/docs`,
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: this.config.scim.maxPageSize },
      changePassword: { supported: true },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [
        {
          type: 'oauthbearertoken',
          name: 'OAuth Bearer Token',
          description:
            'An access token of a Gatehouse service client holding scim:provision (client credentials at /oauth/token).',
          specUri: 'https://www.rfc-editor.org/info/rfc6750',
          primary: true,
        },
      ],
      meta: {
        resourceType: 'ServiceProviderConfig',
        location: `${this.base}/ServiceProviderConfig`,
      },
    };
  }

  @Get('ResourceTypes')
  @ApiOperation({ summary: 'The resource types: User and Group (RFC 7643 §6)' })
  resourceTypes() {
    return listOf(RESOURCE_TYPES.map((type) => this.resourceTypeOf(type.name)));
  }

  @Get('ResourceTypes/:name')
  @ApiOperation({ summary: 'One resource type' })
  resourceType(@Param('name') name: string) {
    return this.resourceTypeOf(name);
  }

  @Get('Schemas')
  @ApiOperation({ summary: 'The schemas: core User, enterprise User and Group (RFC 7643 §7)' })
  schemas() {
    return listOf(SCHEMAS.map((schema) => this.schemaOf(schema.id)));
  }

  @Get('Schemas/:id')
  @ApiOperation({ summary: 'One schema, by its URN' })
  schema(@Param('id') id: string) {
    return this.schemaOf(id);
  }

  private resourceTypeOf(name: string) {
    const type = RESOURCE_TYPES.find((t) => t.name === name);
    if (!type)
      throw new DomainError(CommonErrorCode.NotFound, `There is no resource type "${name}".`);
    return {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: type.name,
      name: type.name,
      endpoint: type.endpoint,
      description: type.description,
      schema: type.schema.id,
      schemaExtensions: type.extensions.map((extension) => ({
        schema: extension.id,
        required: false,
      })),
      meta: { resourceType: 'ResourceType', location: `${this.base}/ResourceTypes/${type.name}` },
    };
  }

  private schemaOf(id: string) {
    const schema = SCHEMAS.find((s) => s.id === id);
    if (!schema) throw new DomainError(CommonErrorCode.NotFound, `There is no schema "${id}".`);
    return {
      schemas: [SCHEMA_SCHEMA],
      ...schema,
      meta: { resourceType: 'Schema', location: `${this.base}/Schemas/${schema.id}` },
    };
  }
}

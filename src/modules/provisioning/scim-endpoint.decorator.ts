import { applyDecorators, Header } from '@nestjs/common';
import { ApiConsumes, ApiProduces, ApiTags } from '@nestjs/swagger';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { SCIM_CONTENT_TYPE } from '../../common/errors/scim-error-mapper';

/**
 * A controller of the SCIM service provider: a service client's bearer token holding
 * `scim:provision`, `application/scim+json` both ways (plain JSON is taken too, RFC 7644 §3.1),
 * never cached; errors in SCIM's shape (the exception filter knows `/scim/v2`).
 */
export const ScimEndpoint = () =>
  applyDecorators(
    ApiTags('scim'),
    RequirePermission('scim:provision'),
    ApiConsumes(SCIM_CONTENT_TYPE, 'application/json'),
    ApiProduces(SCIM_CONTENT_TYPE),
    Header('content-type', `${SCIM_CONTENT_TYPE}; charset=utf-8`),
    Header('cache-control', 'no-store'),
  );

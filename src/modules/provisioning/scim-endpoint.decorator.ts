import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ApiConsumes, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Observable } from 'rxjs';
import { RequirePermission } from '../../common/auth/require-permission.decorator';
import { SCIM_CONTENT_TYPE } from '../../common/errors/scim-error-mapper';

/** Every SCIM answer is `application/scim+json` (RFC 7644 §3.1) and never cached. */
@Injectable()
export class ScimResponseHeaders implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    void context
      .switchToHttp()
      .getResponse<FastifyReply>()
      .header('content-type', `${SCIM_CONTENT_TYPE}; charset=utf-8`)
      .header('cache-control', 'no-store');
    return next.handle();
  }
}

/**
 * A controller of the SCIM service provider: a service client's bearer token holding
 * `scim:provision`, `application/scim+json` both ways (plain JSON is taken too), errors in
 * SCIM's shape (the exception filter knows `/scim/v2`).
 */
export const ScimEndpoint = () =>
  applyDecorators(
    ApiTags('scim'),
    RequirePermission('scim:provision'),
    ApiConsumes(SCIM_CONTENT_TYPE, 'application/json'),
    ApiProduces(SCIM_CONTENT_TYPE),
    UseInterceptors(ScimResponseHeaders),
  );

import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Problem, PROBLEM_CONTENT_TYPE } from '../errors/problem';

const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** Every operation can fail with a client or server problem; say so once for all of them. */
function documentProblems(document: OpenAPIObject): OpenAPIObject {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = pathItem[method];
      if (!operation) continue;
      operation.responses['4XX'] ??= problemResponse('Client error (RFC 9457 problem details)');
      operation.responses['5XX'] ??= problemResponse('Server error (RFC 9457 problem details)');
    }
  }
  return document;
}

export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Gatehouse')
    .setDescription(
      'Identity, user management and authorization decisions. Every error is ' +
        '`application/problem+json` (RFC 9457) with a machine-readable `code` and the `request_id`.',
    )
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [Problem] });
  return documentProblems(document);
}

/** Serves the document at /docs/openapi.json and the interactive UI at /docs. */
export function mountOpenApi(app: INestApplication, version: string): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, version), {
    jsonDocumentUrl: 'docs/openapi.json',
    raw: ['json'],
    customSiteTitle: 'Gatehouse API',
  });
}

import { Injectable } from '@nestjs/common';
import { AuthzResource } from '../../common/policy-language/authz-request';
import { CheckResourceDto, CheckSubjectDto } from './dto/check-request.dto';

/**
 * What a module knows of its resources of one type, for decisions: the attributes of one
 * resource as one subject sees them (its owner, status, the subject's membership), which win
 * over what the caller says. Answers at once when it has them cached, else a promise.
 */
export interface ResourceAttributeSource {
  attributesOf(
    id: string,
    subject: CheckSubjectDto,
  ): Record<string, unknown> | Promise<Record<string, unknown>>;
}

/**
 * The resource types whose attributes Gatehouse supplies itself, each from the module that owns
 * them (registered at startup): the decision point asks here, so it depends on none of them.
 */
@Injectable()
export class ResourceDirectory {
  private readonly sources = new Map<string, ResourceAttributeSource>();

  register(type: string, source: ResourceAttributeSource): void {
    if (this.sources.has(type)) throw new Error(`two attribute sources for ${type}`);
    this.sources.set(type, source);
  }

  /**
   * The resource as the engine sees it: what Gatehouse knows wins over what the caller says.
   * Unchanged for a type nobody registered, or a question about the type as a whole.
   */
  resolve(
    resource: CheckResourceDto,
    subject: CheckSubjectDto,
  ): AuthzResource | Promise<AuthzResource> {
    const source = resource.id === undefined ? undefined : this.sources.get(resource.type);
    if (!source) return resource;
    const known = source.attributesOf(resource.id!, subject);
    return known instanceof Promise
      ? known.then((attributes) => merged(resource, attributes))
      : merged(resource, known);
  }
}

function merged(resource: CheckResourceDto, known: Record<string, unknown>): AuthzResource {
  return {
    type: resource.type,
    id: resource.id,
    attributes: resource.attributes ? { ...resource.attributes, ...known } : known,
  };
}

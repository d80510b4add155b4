import { Actor } from '../../common/auth/actor';
import { Caller } from '../../common/auth/principal';
import { ProvisioningScope } from './provisioning-scope';
import { ScimObject } from './scim/scim-filter-evaluator';
import { ListRequest } from './scim/scim-list-request';
import { ResourceTypeDefinition } from './scim/scim-schema';

/**
 * The operations of one SCIM resource type's endpoint (RFC 7644 §3), as ScimUsersService and
 * ScimGroupsService implement them, within what the client's scope sees (another client's
 * resource is a 404), answered as representations. Resources come in normalized
 * (scim-document.ts); PUT and PATCH are both an `update` from the resource's writable
 * attributes to the next ones, under its row lock and checked against `If-Match`.
 */
export interface ScimResources {
  readonly type: ResourceTypeDefinition;
  create(
    resource: ScimObject,
    scope: ProvisioningScope,
    caller: Caller,
    actor: Actor,
  ): Promise<ScimObject>;
  get(id: string, scope: ProvisioningScope): Promise<ScimObject>;
  list(
    request: ListRequest,
    scope: ProvisioningScope,
  ): Promise<{ resources: ScimObject[]; total: number }>;
  update(
    id: string,
    change: ResourceChange,
    next: (current: ScimObject) => ScimObject,
  ): Promise<ScimObject>;
  delete(
    id: string,
    ifMatch: string | undefined,
    scope: ProvisioningScope,
    actor: Actor,
  ): Promise<void>;
}

/** Who changes a resource, and the version they read (`If-Match`). */
export interface ResourceChange {
  ifMatch: string | undefined;
  scope: ProvisioningScope;
  caller: Caller;
  actor: Actor;
}

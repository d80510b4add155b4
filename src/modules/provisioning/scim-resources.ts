import { Actor } from '../../common/auth/actor';
import { Caller } from '../../common/auth/principal';
import { ProvisioningScope } from './provisioning-scope';
import { ScimObject } from './scim/scim-filter-evaluator';
import { ListRequest } from './scim/scim-list-request';
import { PatchOperation } from './scim/scim-patch';

/**
 * The operations of one SCIM resource type's endpoint (RFC 7644 §3), as ScimUsersService and
 * ScimGroupsService implement them: what the client sends, checked and applied within what its
 * scope sees (another client's resource is a 404), answered as representations.
 */
export interface ScimResources {
  create(
    body: unknown,
    scope: ProvisioningScope,
    caller: Caller,
    actor: Actor,
  ): Promise<ScimObject>;
  get(id: string, scope: ProvisioningScope): Promise<ScimObject>;
  list(
    request: ListRequest,
    scope: ProvisioningScope,
  ): Promise<{ resources: ScimObject[]; total: number }>;
  replace(
    id: string,
    body: unknown,
    ifMatch: string | undefined,
    scope: ProvisioningScope,
    caller: Caller,
    actor: Actor,
  ): Promise<ScimObject>;
  patch(
    id: string,
    operations: PatchOperation[],
    ifMatch: string | undefined,
    scope: ProvisioningScope,
    caller: Caller,
    actor: Actor,
  ): Promise<ScimObject>;
  delete(
    id: string,
    ifMatch: string | undefined,
    scope: ProvisioningScope,
    actor: Actor,
  ): Promise<void>;
}

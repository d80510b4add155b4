import { DomainError } from '../../common/errors/domain-error';
import { CommonErrorCode } from '../../common/errors/error-code';
import { Caller } from '../../common/auth/principal';

/** The scope that lets a provisioning client see and change every client's resources. */
export const PROVISION_ALL_SCOPE = 'scim:provision_all';

/**
 * What a provisioning client may see and change: the resources it created, or every
 * provisioning client's when its token carries `scim:provision_all`. Another client's resource
 * is, to it, a resource that does not exist (404, and absent from lists).
 */
export interface ProvisioningScope {
  clientId: string;
  all: boolean;
}

/** Gatehouse's own reads of every client's resources (a person's data export), never a client's. */
export const EVERY_CLIENT: ProvisioningScope = { clientId: 'gatehouse', all: true };

/** SCIM is spoken by service clients (client credentials); a person's token is refused. */
export function provisioningScopeOf(caller: Caller): ProvisioningScope {
  if (caller.kind !== 'service') {
    throw new DomainError(
      CommonErrorCode.Forbidden,
      'SCIM endpoints take the access token of a service client holding scim:provision.',
    );
  }
  return { clientId: caller.clientId, all: caller.scopes.includes(PROVISION_ALL_SCOPE) };
}

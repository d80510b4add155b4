import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ConfigError } from '../../config/config.error';
import { AccessService } from '../access/access.service';

/**
 * Stops the boot when MFA_REQUIRED_ROLES names a role that does not exist: a misspelt name would
 * otherwise leave its holders signing in without the second factor the operator meant to
 * require. Roles live in the database, so this runs once it is migrated, not in loadConfig.
 */
@Injectable()
export class MfaRequiredRolesCheck implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly access: AccessService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const unknown = await this.access.unknownRoles(this.config.mfa.requiredRoles);
    if (unknown.length === 0) return;
    throw new ConfigError([
      `MFA_REQUIRED_ROLES: unknown role(s) ${unknown.join(', ')}; create them first or correct the list`,
    ]);
  }
}

import { Injectable } from '@nestjs/common';
import { PersonalData } from '../privacy/personal-data.decorator';
import { MfaRepository } from './mfa.repository';

/** The mfa module's part of a person's data export: which factors, never their secrets. */
@Injectable()
export class MfaPersonalData {
  constructor(private readonly repository: MfaRepository) {}

  @PersonalData({
    file: 'second-factors.json',
    describes:
      'Your second factors: whether you have an authenticator app and since when, and when each backup code was made and used (never the app’s seed or the codes).',
  })
  async factorsOf(userId: string): Promise<unknown> {
    const [totp, backupCodes] = await Promise.all([
      this.repository.findTotp(userId),
      this.repository.backupCodeUses(userId),
    ]);
    return {
      authenticator_app: totp
        ? { status: totp.status, created_at: totp.createdAt, activated_at: totp.activatedAt }
        : null,
      backup_codes: backupCodes.map((code) => ({
        created_at: code.createdAt,
        used_at: code.usedAt,
      })),
    };
  }
}

import { ApiProperty } from '@nestjs/swagger';
import { TotpEnrollment } from '../mfa.service';

export class TotpEnrollmentDto {
  @ApiProperty({
    description: 'The seed in base32, for apps that cannot scan',
    example: 'JBSWY3DPEHPK3PXP…',
  })
  secret!: string;

  @ApiProperty({ example: 'otpauth://totp/Gatehouse:ada%40example.com?secret=…&issuer=Gatehouse' })
  otpauth_uri!: string;

  @ApiProperty({ description: 'The otpauth URI as a QR code', example: 'data:image/png;base64,…' })
  qr_code!: string;
}

export function toTotpEnrollmentDto(enrollment: TotpEnrollment): TotpEnrollmentDto {
  return {
    secret: enrollment.secret,
    otpauth_uri: enrollment.otpauthUri,
    qr_code: enrollment.qrCode,
  };
}

export class BackupCodesDto {
  @ApiProperty({
    type: [String],
    description: 'Ten single-use codes, shown this once; any earlier set stops working',
    example: ['abcd-efgh-ijkl-mnop'],
  })
  backup_codes!: string[];
}

export class TotpStatusDto {
  @ApiProperty({ enum: ['none', 'pending', 'active'] })
  status!: 'none' | 'pending' | 'active';

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  activated_at!: string | null;
}

export class MfaStatusDto {
  @ApiProperty({ type: [String], description: 'The active second factors', example: ['totp'] })
  active_factors!: string[];

  @ApiProperty({ type: TotpStatusDto })
  totp!: TotpStatusDto;

  @ApiProperty({ example: 10 })
  backup_codes_remaining!: number;
}

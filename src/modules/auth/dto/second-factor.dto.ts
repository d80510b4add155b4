import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { SecondFactorDto } from '../../mfa/dto/mfa-requests.dto';
import { TokenPairDto } from './auth-responses.dto';

const MAX_PASSWORD_INPUT = 1024;
const MAX_TOKEN_INPUT = 256;

export class MfaLoginDto extends SecondFactorDto {
  @ApiProperty({ description: 'From the answer of POST /v1/auth/login', example: 'ghm_…' })
  @IsString()
  @MaxLength(MAX_TOKEN_INPUT)
  mfa_token!: string;
}

export class MfaTokenDto {
  @ApiProperty({ description: 'From the answer of POST /v1/auth/login', example: 'ghm_…' })
  @IsString()
  @MaxLength(MAX_TOKEN_INPUT)
  mfa_token!: string;
}

/** Step-up: the password, a code or a backup code, exactly one. */
export class StepUpDto extends SecondFactorDto {
  @ApiPropertyOptional({ format: 'password' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  password?: string;
}

export class MfaChallengeDto {
  @ApiProperty({ enum: [true] })
  mfa_required!: true;

  @ApiProperty({
    description:
      'True when a role of the account requires a second factor it does not have yet: the ' +
      'mfa_token can then only enroll one (POST /v1/auth/login/mfa/enroll) and complete the ' +
      'login with its first code.',
  })
  mfa_enrollment_required!: boolean;

  @ApiProperty({ description: 'Single use, for POST /v1/auth/login/mfa', example: 'ghm_…' })
  mfa_token!: string;

  @ApiProperty({ description: 'Seconds the mfa_token stays usable', example: 300 })
  expires_in!: number;

  @ApiProperty({ type: [String], example: ['totp', 'backup_code'] })
  methods!: string[];
}

export class MfaLoginResponseDto extends TokenPairDto {
  @ApiPropertyOptional({
    type: [String],
    description: 'When the login completed an enrollment: the new backup codes, shown once',
  })
  backup_codes?: string[];
}

export class StepUpResponseDto {
  @ApiProperty({ description: 'JWT of the same session, with the new auth_time and acr' })
  access_token!: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type!: 'Bearer';

  @ApiProperty({ example: 900 })
  expires_in!: number;

  @ApiProperty({ enum: ['aal1', 'aal2'] })
  acr!: 'aal1' | 'aal2';

  @ApiProperty({ description: 'Seconds since the epoch', example: 1795360943 })
  auth_time!: number;
}

export class RemoveTotpDto extends SecondFactorDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  password!: string;

  @ApiPropertyOptional({
    description: 'Also end every other session of the account',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  end_other_sessions?: boolean;
}

export class RemovedTotpDto {
  @ApiProperty({ description: 'Other sessions ended with it', example: 0 })
  sessions_ended!: number;
}

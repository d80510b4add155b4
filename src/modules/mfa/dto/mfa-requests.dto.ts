import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { exactlyOneOf } from '../../../common/validation/exactly-one-of';
import { SecondFactorProof } from '../mfa.service';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Raw input bound: a backup code is 16 characters. */
const MAX_BACKUP_CODE_INPUT = 64;

export class TotpCodeDto {
  @ApiProperty({ description: 'The six-digit code the authenticator app shows', example: '123456' })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'must be the six digits the authenticator app shows' })
  code!: string;
}

/** A second factor: `code` (authenticator app) or `backup_code`, exactly one. */
export class SecondFactorDto {
  @ApiPropertyOptional({
    description: 'The six-digit code of the authenticator app',
    example: '123456',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'must be the six digits the authenticator app shows' })
  code?: string;

  @ApiPropertyOptional({ description: 'One of the backup codes', example: 'abcd-efgh-ijkl-mnop' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_BACKUP_CODE_INPUT)
  backup_code?: string;
}

/** The second factor a body presents: `code` or `backup_code`, exactly one (else a 422). */
export function secondFactorOf(body: SecondFactorDto): SecondFactorProof {
  const { field, value } = exactlyOneOf(body, ['code', 'backup_code']);
  return { method: field === 'code' ? 'totp' : 'backup_code', code: value };
}

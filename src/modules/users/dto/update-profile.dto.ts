import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import {
  IsBcp47Locale,
  IsDisplayName,
  IsE164Phone,
  IsIanaTimeZone,
} from '../../../common/validation/profile-formats';

/** Fields left out stay as they are; `null` clears an optional field. */
export class UpdateProfileDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @Length(1, 200)
  @IsDisplayName()
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, example: '+447911123456' })
  @IsOptional()
  @IsE164Phone()
  phone?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl(
    { protocols: ['https'], require_protocol: true, require_tld: true, disallow_auth: true },
    { message: 'must be an https URL' },
  )
  avatar_url?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'Europe/London' })
  @IsOptional()
  @IsIanaTimeZone()
  timezone?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'en-GB' })
  @IsOptional()
  @IsBcp47Locale()
  locale?: string | null;

  @ApiPropertyOptional({
    description:
      'A new address; takes effect once the link mailed to it is followed. Needs current_password.',
    maxLength: 254,
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'must be an email address' })
  email?: string;

  @ApiPropertyOptional({ description: 'Required with `email`', format: 'password' })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MaxLength(1024)
  current_password?: string;
}

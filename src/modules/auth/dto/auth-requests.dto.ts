import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { IsDisplayName } from '../../../common/validation/profile-formats';

/** Raw password input bound: the policy's own limit (code points after NFKC) applies after. */
const MAX_PASSWORD_INPUT = 1024;
const MAX_TOKEN_INPUT = 256;

export class EmailDto {
  @ApiProperty({ example: 'ada@example.com', maxLength: 254 })
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'must be an email address' })
  email!: string;
}

export class RegisterDto extends EmailDto {
  @ApiProperty({ format: 'password', minLength: 12, maxLength: 256 })
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  password!: string;

  @ApiProperty({ example: 'Ada Lovelace', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsDisplayName()
  name!: string;
}

export class LoginDto extends EmailDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  password!: string;
}

export class TokenDto {
  @ApiProperty({ description: 'The token from the mailed link' })
  @IsString()
  @MaxLength(MAX_TOKEN_INPUT)
  token!: string;
}

export class RefreshDto {
  @ApiProperty({ example: 'ghr_…' })
  @IsString()
  @MaxLength(MAX_TOKEN_INPUT)
  refresh_token!: string;
}

export class ResetPasswordDto extends TokenDto {
  @ApiProperty({ format: 'password', minLength: 12, maxLength: 256 })
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ format: 'password' })
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  current_password!: string;

  @ApiProperty({ format: 'password', minLength: 12, maxLength: 256 })
  @IsString()
  @MaxLength(MAX_PASSWORD_INPUT)
  new_password!: string;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

export class FederationStartQueryDto {
  @ApiProperty({ description: "One of the provider's registered redirect URIs" })
  @IsString()
  @MaxLength(2048)
  redirect_uri!: string;
}

/** The authorization response (RFC 6749 §4.1.2, RFC 9207 `iss`), posted or redirected here. */
export class FederationCallbackDto {
  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  code!: string;

  @ApiProperty()
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  state!: string;

  @ApiPropertyOptional({ description: 'The issuer the provider named in its response' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  iss?: string;
}

export class FederationStartDto {
  @ApiProperty({ description: "The provider's authorization URL to send the browser to" })
  authorization_url!: string;

  @ApiProperty({ description: 'Seconds before the sign-in must be completed' })
  expires_in!: number;
}

import { ApiProperty } from '@nestjs/swagger';

export class AcceptedDto {
  @ApiProperty({ example: 'If the address can be used, a message is on its way to it.' })
  message!: string;
}

export class TokenPairDto {
  @ApiProperty({ description: 'JWT (typ at+jwt), verifiable with /.well-known/jwks.json' })
  access_token!: string;

  @ApiProperty({ enum: ['Bearer'] })
  token_type!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 })
  expires_in!: number;

  @ApiProperty({ description: 'Single use: each refresh returns the next one', example: 'ghr_…' })
  refresh_token!: string;

  @ApiProperty({ description: 'Seconds the refresh token stays usable if unused', example: 604800 })
  refresh_expires_in!: number;

  @ApiProperty({ format: 'uuid' })
  session_id!: string;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Firefox on Linux' })
  device!: string;

  @ApiProperty({ type: String, nullable: true })
  user_agent!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', description: 'Login or last refresh' })
  last_seen_at!: string;

  @ApiProperty({ description: 'The session the request was made with' })
  current!: boolean;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] })
  items!: SessionDto[];
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class EventStreamQueryDto {
  @ApiPropertyOptional({
    description:
      'Comma-separated event types and families to receive (`user.session.*,client.disabled`); every type when absent. Unknown ones are a 400 naming them.',
    example: 'user.session.*,user.password_changed',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  types?: string;

  @ApiPropertyOptional({
    description:
      'Resume after this event id, as the `Last-Event-ID` header does (for clients that cannot set headers); the header wins when both are sent.',
    example: '1042',
  })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  last_event_id?: string;
}

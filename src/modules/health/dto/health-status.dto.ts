import { ApiProperty } from '@nestjs/swagger';

export class HealthStatusDto {
  @ApiProperty({ example: 'ok' })
  status!: 'ok';

  @ApiProperty({
    example: { database: 'up' },
    description: 'State of each dependency checked',
    additionalProperties: { type: 'string', enum: ['up', 'down'] },
  })
  checks!: Record<string, string>;
}

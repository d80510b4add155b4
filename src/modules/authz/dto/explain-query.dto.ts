import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

export class ExplainQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'Add the trace of every candidate policy and role permission.',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  explain?: 'true' | 'false';
}

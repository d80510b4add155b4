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

  /**
   * See FastPathDto: no query string at all (every check without `?explain`) is plainly valid;
   * anything else takes the full pipe.
   */
  static acceptIfPlainlyValid(value: unknown): ExplainQueryDto | null {
    const empty = typeof value === 'object' && value !== null && Object.keys(value).length === 0;
    return empty ? new ExplainQueryDto() : null;
  }
}

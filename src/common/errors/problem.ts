import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES, ErrorCode } from './error-code';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export class FieldError {
  @ApiProperty({ example: 'email', description: 'Dotted path of the offending field' })
  field!: string;

  @ApiProperty({ example: 'must be an email address' })
  message!: string;

  @ApiPropertyOptional({
    description: 'In a field holding source text: the line of the error, from 1',
  })
  line?: number;

  @ApiPropertyOptional({ description: 'In a field holding source text: the column, from 1' })
  column?: number;
}

/** RFC 9457 problem details, as every Gatehouse error is returned. */
export class Problem {
  @ApiProperty({ example: 'urn:gatehouse:problem:validation_failed' })
  type!: string;

  @ApiProperty({ example: 'Validation failed' })
  title!: string;

  @ApiProperty({ example: 422 })
  status!: number;

  @ApiProperty({ example: 'The request body has 1 invalid field.' })
  detail!: string;

  @ApiPropertyOptional({ example: '/v1/users/me', description: 'Path of the request' })
  instance?: string;

  @ApiProperty({ enum: ERROR_CODES, enumName: 'ErrorCode' })
  code!: ErrorCode;

  @ApiProperty({ example: '0193a4c2-7b1e-7c44-9a0e-3f1d2b6c8e10' })
  request_id!: string;

  @ApiPropertyOptional({ type: [FieldError] })
  errors?: FieldError[];

  /** Further members a specific problem adds (RFC 9457 §3.2 extension members). */
  [extension: string]: unknown;
}

export const PROBLEM_TYPE_PREFIX = 'urn:gatehouse:problem:';

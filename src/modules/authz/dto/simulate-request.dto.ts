import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsObject,
  IsOptional,
  ValidateNested,
} from 'class-validator';
import { PolicyBodyDto } from '../../access/dto/policy.dto';
import { CheckRequestDto } from './check-request.dto';

export const MAX_SIMULATED_POLICIES = 500;

export class SimulateRequestDto {
  @ApiProperty({
    type: [PolicyBodyDto],
    maxItems: MAX_SIMULATED_POLICIES,
    description: 'Unsaved policies, validated as a save would validate them.',
  })
  @IsArray()
  @ArrayMaxSize(MAX_SIMULATED_POLICIES)
  @ValidateNested({ each: true })
  @Type(() => PolicyBodyDto)
  policies!: PolicyBodyDto[];

  @ApiPropertyOptional({
    default: false,
    description:
      'Evaluate the stored policies too, a draft replacing the stored policy of its name: ' +
      '"what if I saved these?". Without it the drafts are the only policies.',
  })
  @IsOptional()
  @IsBoolean()
  include_stored_policies?: boolean;

  @ApiProperty({ type: CheckRequestDto })
  @ValidateNested()
  @Type(() => CheckRequestDto)
  @IsObject()
  request!: CheckRequestDto;
}

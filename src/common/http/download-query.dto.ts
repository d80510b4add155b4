import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, MaxLength, Min } from 'class-validator';

/** The query of a signed download link (an export's): until when it works, and its signature. */
export class DownloadQueryDto {
  @ApiProperty({ description: 'When the link stops working (seconds since the epoch)' })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  expires!: number;

  @ApiProperty()
  @IsString()
  @MaxLength(100)
  signature!: string;
}

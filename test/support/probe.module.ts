import {
  Body,
  Controller,
  Get,
  Logger,
  Module,
  Param,
  Post,
  ServiceUnavailableException,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsString, Length, Min, ValidateNested } from 'class-validator';
import { Public } from '../../src/common/auth/public.decorator';

class ProbeTagDto {
  @IsString()
  @Length(1, 10)
  label!: string;
}

export class ProbeItemDto {
  @IsString()
  @Length(1, 50)
  name!: string;

  @IsInt()
  @Min(1)
  count!: number;

  @IsObject()
  @ValidateNested()
  @Type(() => ProbeTagDto)
  tag!: ProbeTagDto;
}

/** Routes that exist only in tests, to drive the global pipeline (parsers, pipe, filter, logs). */
@Public()
@Controller('probe')
export class ProbeController {
  private readonly logger = new Logger(ProbeController.name);

  constructor(private readonly dataSource: DataSource) {}

  @Post('items')
  create(@Body() item: ProbeItemDto): ProbeItemDto {
    return item;
  }

  @Get('items/:id')
  read(@Param('id') id: string): { id: string } {
    return { id };
  }

  @Get('boom')
  boom(): never {
    throw new Error('relation "users" violates SELECT password_hash FROM users WHERE id = 42');
  }

  @Get('unavailable')
  unavailable(): never {
    throw new ServiceUnavailableException('upstream 10.0.0.5:5432 refused the connection');
  }

  @Post('log')
  log(@Body() body: Record<string, unknown>): { logged: true } {
    this.logger.log(body, `probe log for ${String(body.email)}`);
    this.logger.log('probe printf %s %j', body.email, body);
    return { logged: true };
  }

  /** Holds a database connection for a while, as a real request in flight does. */
  @Get('slow')
  async slow(): Promise<{ done: true }> {
    await this.dataSource.query('SELECT pg_sleep(0.3)');
    return { done: true };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

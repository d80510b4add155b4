import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsString, Length, Min, ValidateNested } from 'class-validator';
import { PinoLogger } from 'nestjs-pino';

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
@Controller('probe')
export class ProbeController {
  constructor(private readonly logger: PinoLogger) {}

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

  @Post('log')
  log(@Body() body: Record<string, unknown>): { logged: true } {
    this.logger.info(body, `probe log for ${String(body.email)}`);
    return { logged: true };
  }

  @Get('slow')
  async slow(): Promise<{ done: true }> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { done: true };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}

import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsBoolean,
  IsIn,
  IsString,
  IsUUID,
  Length,
  Matches,
  ValidateIf,
  ValidateNested,
  IsArray,
  IsObject,
} from 'class-validator';
import { THEMES, Theme } from '../user-preferences.entity';

const CHANNELS = ['email', 'push', 'sms'] as const;

export class NotificationPreferencesDto {
  @ApiProperty({ description: 'New sign-ins, password and email changes' })
  @IsBoolean()
  security_alerts!: boolean;

  @ApiProperty()
  @IsBoolean()
  product_updates!: boolean;

  @ApiProperty()
  @IsBoolean()
  price_alerts!: boolean;

  @ApiProperty({ enum: CHANNELS, isArray: true })
  @IsArray()
  @ArrayMaxSize(CHANNELS.length)
  @ArrayUnique()
  @IsIn(CHANNELS, { each: true })
  channels!: (typeof CHANNELS)[number][];
}

export class WatchlistDto {
  @ApiProperty({ minLength: 1, maxLength: 64, example: 'Tech' })
  @IsString()
  @Length(1, 64)
  name!: string;

  @ApiProperty({ type: [String], maxItems: 200, example: ['NASDAQ:AAPL', 'NSE:INFY'] })
  @IsArray()
  @ArrayMaxSize(200)
  @ArrayUnique()
  @Matches(/^[A-Z0-9][A-Z0-9.:_-]{0,31}$/, {
    each: true,
    message: 'each symbol must be 1-32 upper-case letters, digits or . : _ -',
  })
  symbols!: string[];
}

/** The whole preferences document: PUT replaces it, every field is required. */
export class PreferencesDto {
  @ApiProperty({ enum: THEMES })
  @IsIn(THEMES)
  theme!: Theme;

  @ApiProperty({ type: NotificationPreferencesDto })
  @IsObject()
  @ValidateNested()
  @Type(() => NotificationPreferencesDto)
  notifications!: NotificationPreferencesDto;

  @ApiProperty({ type: [WatchlistDto], maxItems: 20 })
  @IsArray()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => WatchlistDto)
  watchlists!: WatchlistDto[];

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  @ValidateIf((_, value) => value !== null)
  @IsUUID()
  default_trading_account_id!: string | null;
}

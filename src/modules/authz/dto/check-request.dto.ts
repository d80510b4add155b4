import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

/** A concrete name: no wildcard, no whitespace (patterns belong in policies, not requests). */
const CONCRETE = /^[^\s*]+$/;
const CONCRETE_MESSAGE = 'must be a name without spaces or "*"';

export const MAX_BATCH_CHECKS = 100;

export class CheckSubjectDto {
  @ApiProperty({ enum: ['user', 'service'] })
  @IsIn(['user', 'service'])
  type!: 'user' | 'service';

  @ApiProperty({ description: 'A Gatehouse user id, or a service client_id', maxLength: 256 })
  @IsString()
  @Length(1, 256)
  @Matches(CONCRETE, { message: CONCRETE_MESSAGE })
  id!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Extra attributes; those Gatehouse knows (roles, status, profile) win over these.',
  })
  @IsOptional()
  @IsObject()
  attributes?: Record<string, unknown>;
}

export class CheckResourceDto {
  @ApiProperty({ example: 'trading_account', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  @Matches(CONCRETE, { message: CONCRETE_MESSAGE })
  type!: string;

  @ApiPropertyOptional({ maxLength: 256 })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  @Matches(CONCRETE, { message: CONCRETE_MESSAGE })
  id?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  attributes?: Record<string, unknown>;
}

export class CheckRequestDto {
  @ApiProperty({ type: CheckSubjectDto })
  @ValidateNested()
  @Type(() => CheckSubjectDto)
  @IsObject()
  subject!: CheckSubjectDto;

  @ApiProperty({ example: 'trading_account:trade', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  @Matches(CONCRETE, { message: CONCRETE_MESSAGE })
  action!: string;

  @ApiProperty({ type: CheckResourceDto })
  @ValidateNested()
  @Type(() => CheckResourceDto)
  @IsObject()
  resource!: CheckResourceDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  context?: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      'Never decide on an older policy set than this (the `policy_set_version` a change returned).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  min_policy_set_version?: number;

  /** See FastPathDto: the body as this DTO when it is plainly valid, else null. */
  static acceptIfPlainlyValid(value: unknown): CheckRequestDto | null {
    return plainCheck(value);
  }
}

export class BatchCheckRequestDto {
  @ApiProperty({ type: [CheckRequestDto], minItems: 1, maxItems: MAX_BATCH_CHECKS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_CHECKS)
  @ValidateNested({ each: true })
  @Type(() => CheckRequestDto)
  checks!: CheckRequestDto[];

  /** See FastPathDto: the body as this DTO when it is plainly valid, else null. */
  static acceptIfPlainlyValid(value: unknown): BatchCheckRequestDto | null {
    return plainBatch(value);
  }
}

/*
 * The common shape of a valid check, recognised without class-transformer and class-validator,
 * which cost more than the decision itself (a batch holds up to 100 checks). Anything this does
 * not recognise goes through the full validation pipe, so every refusal, and its error, still
 * comes from the DTO rules above; what it accepts, those rules accept too, with the same result.
 */

/**
 * Printable ASCII without space or `*`: matches CONCRETE, and its `length` is the length
 * class-validator's Length counts (it counts surrogate pairs and variation selectors apart).
 */
const PLAIN_CONCRETE = /^[\x21-\x29\x2b-\x7e]+$/;

const isPlainConcrete = (value: unknown, maxLength: number): value is string =>
  typeof value === 'string' && value.length <= maxLength && PLAIN_CONCRETE.test(value);

/* The fields of each DTO, compared one by one: cheaper than a Set for so few. */
const isSubjectOrResourceKey = (key: string) =>
  key === 'type' || key === 'id' || key === 'attributes';
const isCheckKey = (key: string) =>
  key === 'subject' ||
  key === 'action' ||
  key === 'resource' ||
  key === 'context' ||
  key === 'min_policy_set_version';
const isBatchKey = (key: string) => key === 'checks';
/**
 * Keys the full path changes, so a body holding one anywhere takes it: the pipe strips
 * `__proto__`, `prototype` and `constructor`, and class-transformer drops every key that names a
 * member of Object.prototype (`toString`, `valueOf`…) from the objects it copies.
 */
const isAlteredKey = (key: string) => key === 'prototype' || key in Object.prototype;
/** Deeper attributes are left to the full path, whose walk needs no call stack. */
const MAX_PLAIN_DEPTH = 32;

type PlainObject = Record<string, unknown>;

const isPlainObject = (value: unknown): value is PlainObject =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype;

/**
 * Whether `isKey` holds for every key. `for…in` also visits inherited enumerable keys, which a
 * parsed body's objects do not have: one would only make this stricter.
 */
function hasOnlyKeys(value: PlainObject, isKey: (key: string) => boolean): boolean {
  for (const key in value) if (!isKey(key)) return false;
  return true;
}

/** JSON as parsed: plain objects and arrays all the way down, none with a stripped key. */
function isPlainJson(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth >= MAX_PLAIN_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (!isPlainJson(item, depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    if (isAlteredKey(key) || !isPlainJson((value as PlainObject)[key], depth + 1)) return false;
  }
  return true;
}

const isOptionalAttributes = (value: unknown) =>
  value === undefined || (isPlainObject(value) && isPlainJson(value));

/*
 * The DTOs below are filled field by field: the keys were checked, so this is what
 * Object.assign onto a new instance would give, at a fraction of its cost.
 */

function plainSubject(value: unknown): CheckSubjectDto | null {
  if (!isPlainObject(value) || !hasOnlyKeys(value, isSubjectOrResourceKey)) return null;
  if (value.type !== 'user' && value.type !== 'service') return null;
  if (!isPlainConcrete(value.id, 256) || !isOptionalAttributes(value.attributes)) return null;
  const subject = new CheckSubjectDto();
  subject.type = value.type;
  subject.id = value.id;
  subject.attributes = value.attributes as PlainObject | undefined;
  return subject;
}

function plainResource(value: unknown): CheckResourceDto | null {
  if (!isPlainObject(value) || !hasOnlyKeys(value, isSubjectOrResourceKey)) return null;
  if (!isPlainConcrete(value.type, 128)) return null;
  if (value.id !== undefined && !isPlainConcrete(value.id, 256)) return null;
  if (!isOptionalAttributes(value.attributes)) return null;
  const resource = new CheckResourceDto();
  resource.type = value.type;
  resource.id = value.id;
  resource.attributes = value.attributes as PlainObject | undefined;
  return resource;
}

function plainCheck(value: unknown): CheckRequestDto | null {
  if (!isPlainObject(value) || !hasOnlyKeys(value, isCheckKey)) return null;
  const version = value.min_policy_set_version;
  if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 0)) {
    return null;
  }
  if (!isPlainConcrete(value.action, 128) || !isOptionalAttributes(value.context)) return null;
  const subject = plainSubject(value.subject);
  const resource = subject && plainResource(value.resource);
  if (!subject || !resource) return null;
  const check = new CheckRequestDto();
  check.subject = subject;
  check.action = value.action;
  check.resource = resource;
  check.context = value.context as PlainObject | undefined;
  check.min_policy_set_version = version as number | undefined;
  return check;
}

function plainBatch(value: unknown): BatchCheckRequestDto | null {
  if (!isPlainObject(value) || !hasOnlyKeys(value, isBatchKey)) return null;
  const { checks } = value;
  if (!Array.isArray(checks) || checks.length < 1 || checks.length > MAX_BATCH_CHECKS) {
    return null;
  }
  const accepted: CheckRequestDto[] = [];
  for (const check of checks) {
    const dto = plainCheck(check);
    if (!dto) return null;
    accepted.push(dto);
  }
  return Object.assign(new BatchCheckRequestDto(), { checks: accepted });
}

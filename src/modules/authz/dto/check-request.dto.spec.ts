import 'reflect-metadata';
import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { DomainError } from '../../../common/errors/domain-error';
import { createValidationPipe } from '../../../common/validation/validation.pipe';
import { BatchCheckRequestDto, CheckRequestDto } from './check-request.dto';
import { ExplainQueryDto } from './explain-query.dto';

/**
 * The fast path of the check DTOs against the full validation pipe: whatever it accepts, the
 * pipe accepts with an equal DTO; whatever the pipe refuses, it leaves to the pipe.
 */

/** The pipe as it was before any DTO had a fast path. */
const fullPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  validationError: { target: false, value: false },
});

const body = (metatype: unknown): ArgumentMetadata => ({
  type: 'body',
  metatype: metatype as ArgumentMetadata['metatype'],
});

/** Mostly right, now and then wrong: both paths get exercised, and their border. */
const mostly = <T, U>(right: fc.Arbitrary<T>, wrong: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: right, weight: 12 }, { arbitrary: wrong, weight: 1 });
const json = fc.jsonValue({ maxDepth: 3 });
const names = mostly(
  fc.oneof(
    fc.constantFrom('document:read', 'doc-1', 'a', 'x'.repeat(128)),
    fc.stringMatching(/^[a-z0-9:_.-]{1,12}$/),
  ),
  fc.oneof(
    fc.constantFrom('x'.repeat(129), 'x'.repeat(257), '', 'has space', 'doc:*', '*', 'dé', '👍'),
    fc.string({ maxLength: 6 }),
    json,
  ),
);
const attributes = mostly(
  fc.dictionary(fc.constantFrom('owner_id', 'archived', 'n', 'tags'), json),
  fc.oneof(
    fc.constantFrom(
      { constructor: 1 },
      { nested: { prototype: 'x' } },
      { l: [{ constructor: {} }] },
      { owner_id: { toString: '' } },
      { valueOf: 1 },
    ),
    json,
  ),
);
/** Now and then with an unknown field. */
const sometimesExtra = <T extends object>(record: fc.Arbitrary<T>) =>
  mostly(
    record,
    record.map((value) => ({ ...value, extra: true })),
  );
const subject = mostly(
  sometimesExtra(
    fc.record(
      {
        type: mostly(fc.constantFrom('user', 'service'), fc.constantFrom('group', 42, null)),
        id: names,
        attributes,
      },
      { requiredKeys: ['type', 'id'] },
    ),
  ),
  json,
);
const resource = mostly(
  sometimesExtra(fc.record({ type: names, id: names, attributes }, { requiredKeys: ['type'] })),
  json,
);
const check = mostly(
  sometimesExtra(
    fc.record(
      {
        subject,
        action: names,
        resource,
        context: attributes,
        min_policy_set_version: mostly(
          fc.nat(),
          fc.constantFrom(-1, 1.5, Number.MAX_SAFE_INTEGER + 1, null, '3'),
        ),
      },
      { requiredKeys: ['subject', 'action', 'resource'] },
    ),
  ),
  json,
);
const batch = mostly(
  sometimesExtra(fc.record({ checks: fc.array(check, { minLength: 0, maxLength: 3 }) })),
  json,
);

/** The value as a request body arrives: parsed JSON, a fresh copy for each use. */
const parsed = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null');

/** The pipe's DTO for a copy of the value, or the error it refused it with. */
async function throughFullPipe(value: unknown, metatype: unknown): Promise<unknown> {
  try {
    return { accepted: await fullPipe.transform(parsed(value), body(metatype)) };
  } catch (error) {
    return { refused: error };
  }
}

describe.each([
  ['CheckRequestDto', CheckRequestDto, check],
  ['BatchCheckRequestDto', BatchCheckRequestDto, batch],
] as const)('%s fast path', (_name, metatype, arbitrary) => {
  it('accepts only what the full pipe accepts, as the same DTO', async () => {
    let fast = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        const accepted = metatype.acceptIfPlainlyValid(parsed(value));
        if (accepted === null) return;
        fast++;
        expect(await throughFullPipe(value, metatype)).toStrictEqual({ accepted });
      }),
      { numRuns: 2000 },
    );
    // The generators reach the fast path often enough for this to mean something.
    expect(fast).toBeGreaterThan(100);
  });

  it('leaves every refusal to the full pipe, whose errors the application answers with', async () => {
    const pipe = createValidationPipe();
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        const full = await throughFullPipe(value, metatype);
        if (!('refused' in (full as object))) return;
        expect(metatype.acceptIfPlainlyValid(parsed(value))).toBeNull();
        await expect(pipe.transform(parsed(value), body(metatype))).rejects.toBeInstanceOf(
          DomainError,
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the validation pipe with fast paths', () => {
  const pipe = createValidationPipe();

  it('names the field of a refused check inside a batch', async () => {
    const valid = {
      subject: { type: 'user', id: 'u-1' },
      action: 'document:read',
      resource: { type: 'document' },
    };
    const refusal = await pipe
      .transform(
        { checks: [valid, { ...valid, action: 'document:*' }] },
        body(BatchCheckRequestDto),
      )
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DomainError);
    expect((refusal as DomainError).details.errors).toEqual([
      expect.objectContaining({ field: 'checks.1.action' }),
    ]);
  });

  it('gives a plainly valid check as the DTO, nested classes included', async () => {
    const dto = await pipe.transform(
      {
        subject: { type: 'service', id: 'ghc_x', attributes: { tier: 'gold' } },
        action: 'report:export',
        resource: { type: 'report', id: 'q3' },
        min_policy_set_version: 4,
      },
      body(CheckRequestDto),
    );
    expect(dto).toBeInstanceOf(CheckRequestDto);
    expect((dto as CheckRequestDto).subject.constructor.name).toBe('CheckSubjectDto');
    expect((dto as CheckRequestDto).resource.constructor.name).toBe('CheckResourceDto');
  });
});

describe('ExplainQueryDto fast path', () => {
  it('takes only an empty query, as the full pipe would give it', async () => {
    const query = (metatype: unknown): ArgumentMetadata => ({
      type: 'query',
      metatype: metatype as ArgumentMetadata['metatype'],
    });
    const accepted = ExplainQueryDto.acceptIfPlainlyValid(Object.create(null));
    expect(accepted).toStrictEqual(await fullPipe.transform({}, query(ExplainQueryDto)));
    expect(ExplainQueryDto.acceptIfPlainlyValid({ explain: 'true' })).toBeNull();
    expect(ExplainQueryDto.acceptIfPlainlyValid({ explain: 'maybe' })).toBeNull();
    await expect(
      createValidationPipe().transform({ explain: 'maybe' }, query(ExplainQueryDto)),
    ).rejects.toBeInstanceOf(DomainError);
  });
});

import { IsArray, IsString, validate } from 'class-validator';
import { EachSatisfies } from './each-satisfies.validator';

const noUpperCase = (value: string) => (/[A-Z]/.test(value) ? `"${value}" has capitals` : null);

class Sample {
  @IsArray()
  @IsString({ each: true })
  @EachSatisfies(noUpperCase)
  values!: unknown;
}

async function messages(values: unknown): Promise<Record<string, string>> {
  const sample = Object.assign(new Sample(), { values });
  const [error] = await validate(sample);
  return error?.constraints ?? {};
}

describe('EachSatisfies', () => {
  it('accepts an array whose every string passes', async () => {
    expect(await messages(['a', 'b'])).toEqual({});
    expect(await messages([])).toEqual({});
  });

  it('names the first failing entry by its index, with the checker’s message', async () => {
    expect(await messages(['a', 'Bb', 'Cc'])).toEqual({ eachSatisfies: '[1] "Bb" has capitals' });
  });

  it('leaves non-arrays and non-strings to the other validators', async () => {
    expect(await messages('A')).toEqual({ isArray: 'values must be an array' });
    expect(await messages([1, 'ok'])).toEqual({
      isString: 'each value in values must be a string',
    });
  });
});

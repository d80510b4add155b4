import { toOAuthErrorResponse } from '../../common/errors/oauth-error-mapper';
import { mapErrorToProblem } from '../../common/errors/problem-mapper';
import { presentedClientCredentials, singleParameter } from './oauth-parameters';

const form = (entries: [string, string][] = []) => {
  const parameters = new Map<string, string[]>();
  for (const [name, value] of entries)
    parameters.set(name, [...(parameters.get(name) ?? []), value]);
  return parameters;
};
const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

const AT_TOKEN_ENDPOINT = {
  requestId: 'r-1',
  method: 'POST',
  path: '/oauth/token',
  routeMatched: true,
};

/** The answer an OAuth client gets for what `run` throws. */
function refusal(run: () => unknown): { error: string; status: number; headers: object } {
  try {
    run();
  } catch (error) {
    const answer = toOAuthErrorResponse(error, mapErrorToProblem(error, AT_TOKEN_ENDPOINT));
    return { error: answer.body.error, status: answer.status, headers: answer.headers };
  }
  throw new Error('expected a refusal');
}

describe('singleParameter', () => {
  it('treats an empty value as absent and refuses a repeated one', () => {
    expect(singleParameter(form([['a', 'x']]), 'a')).toBe('x');
    expect(singleParameter(form([['a', '']]), 'a')).toBeUndefined();
    expect(singleParameter(form(), 'a')).toBeUndefined();
    expect(
      refusal(() =>
        singleParameter(
          form([
            ['a', 'x'],
            ['a', 'x'],
          ]),
          'a',
        ),
      ),
    ).toMatchObject({
      error: 'invalid_request',
      status: 400,
    });
  });
});

describe('presentedClientCredentials', () => {
  it('form-decodes both halves of Basic credentials, splitting at the first colon', () => {
    expect(presentedClientCredentials(basic('my+client%3A1:s%2Bcr:et'), form())).toEqual({
      clientId: 'my client:1',
      secret: 's+cr:et',
    });
  });

  it('takes client_id and client_secret from the body without a header', () => {
    const body = form([
      ['client_id', 'ghc_x'],
      ['client_secret', 'ghs_y'],
    ]);
    expect(presentedClientCredentials(undefined, body)).toEqual({
      clientId: 'ghc_x',
      secret: 'ghs_y',
    });
  });

  it('refuses two methods at once, and a body client_id naming another client', () => {
    expect(
      refusal(() => presentedClientCredentials(basic('a:b'), form([['client_secret', 'b']]))),
    ).toMatchObject({ error: 'invalid_request', status: 400 });
    expect(
      refusal(() => presentedClientCredentials(basic('a:b'), form([['client_id', 'c']]))),
    ).toMatchObject({ error: 'invalid_request' });
    expect(presentedClientCredentials(basic('a:b'), form([['client_id', 'a']]))).toEqual({
      clientId: 'a',
      secret: 'b',
    });
  });

  it('answers every other failure with a 401 invalid_client and a Basic challenge', () => {
    for (const [authorization, body] of [
      [undefined, form()],
      [undefined, form([['client_id', 'a']])],
      [undefined, form([['client_secret', 'b']])],
      ['Bearer a.b.c', form()],
      [basic(':b'), form()],
      [basic('a'), form()],
      ['Basic YQ', form()],
    ] as const) {
      expect(refusal(() => presentedClientCredentials(authorization, body))).toEqual({
        error: 'invalid_client',
        status: 401,
        headers: { 'www-authenticate': 'Basic realm="gatehouse", charset="UTF-8"' },
      });
    }
  });
});

import { startTestApp, TestApp } from './support/test-app';
import { get, signedInAccount } from './support/accounts';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('registers, verifies, logs in and reads the profile', async () => {
    const { email, tokens } = await signedInAccount(t);
    const me = await get(t, '/v1/users/me', tokens.access_token);
    expect(me.statusCode).toBe(200);
    expect(JSON.parse(me.body)).toMatchObject({ email, email_verified: true, status: 'active' });
  });
});

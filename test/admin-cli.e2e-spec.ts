import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { AccessService } from '../src/modules/access/access.service';
import { UsersService } from '../src/modules/users/users.service';
import { login, settled, uniqueEmail } from './support/accounts';
import { startTestApp, TEST_MASTER_KEY, TestApp } from './support/test-app';

const CLI = join(__dirname, '..', 'dist', 'src', 'cli.js');
const PASSWORD = 'bootstrap passphrase for the first admin';

/** Runs the built CLI as an operator would, with the password piped to standard input. */
async function adminCreate(t: TestApp, args: string[], stdin: string) {
  const child = spawn(process.execPath, [CLI, 'admin:create', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: t.config.database.url!,
      MASTER_KEY: TEST_MASTER_KEY,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe('npm run cli -- admin:create', () => {
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
  });
  afterAll(() => t.close());

  it('creates an active, verified account that signs in with the piped password', async () => {
    const email = uniqueEmail('Admin');
    const result = await adminCreate(
      t,
      ['--email', email, '--name', 'First Admin'],
      `${PASSWORD}\n`,
    );
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining(email.toLowerCase()) });
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    const [row] = await dataSource.query<{ status: string; verified: boolean; name: string }[]>(
      'SELECT status, email_verified_at IS NOT NULL AS verified, name FROM users WHERE email = $1',
      [email.toLowerCase()],
    );
    expect(row).toEqual({ status: 'active', verified: true, name: 'First Admin' });
    const tokens = await login(t, email, PASSWORD);
    expect(tokens.token_type).toBe('Bearer');
    await settled(t);
    const events = await dataSource.query<{ type: string }[]>(
      `SELECT e.type FROM auth_events e JOIN users u ON u.id = e.user_id WHERE u.email = $1 AND e.type = 'admin_create'`,
      [email.toLowerCase()],
    );
    expect(events).toHaveLength(1);
  });

  it('grants the admin role, without expiry, audited as done by the CLI', async () => {
    const email = uniqueEmail('granted');
    const result = await adminCreate(t, ['--email', email], PASSWORD);
    expect(result).toMatchObject({ code: 0, stdout: expect.stringContaining('admin role') });
    const user = await t.app.get(UsersService).findByEmail(email);
    expect(await t.app.get(AccessService).rolesOfUser(user!.id)).toEqual(['admin', 'user']);
    const [grant] = await dataSource.query<{ granted_by: string; expires_at: Date | null }[]>(
      `SELECT g.granted_by, g.expires_at FROM user_roles g JOIN roles r ON r.id = g.role_id
        WHERE g.user_id = $1 AND r.name = 'admin'`,
      [user!.id],
    );
    expect(grant).toEqual({ granted_by: 'cli', expires_at: null });
    const audit = await dataSource.query<{ actor_type: string; actor_id: string }[]>(
      `SELECT actor_type, actor_id FROM audit_events
        WHERE action = 'user_role.grant' AND target_type = 'user' AND target_id = $1`,
      [user!.id],
    );
    expect(audit).toEqual([{ actor_type: 'system', actor_id: 'cli' }]);
  });

  it('refuses an address that already has an account, whatever its case', async () => {
    const email = uniqueEmail('dup');
    expect((await adminCreate(t, ['--email', email], PASSWORD)).code).toBe(0);
    const again = await adminCreate(t, ['--email', email.toUpperCase()], PASSWORD);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('already exists') });
    // The existing account was granted admin once, by the first command only.
    const grants = await dataSource.query(
      `SELECT 1 FROM audit_events WHERE action LIKE 'user_role.%'
          AND target_id = (SELECT id::text FROM users WHERE email = $1)`,
      [email.toLowerCase()],
    );
    expect(grants).toHaveLength(1);
  });

  it('applies the password policy and creates nothing when it fails', async () => {
    const email = uniqueEmail('weak');
    const result = await adminCreate(t, ['--email', email], 'password1234\n');
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('too common') });
    const rows = await dataSource.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(0);
  });

  it.each([
    ['the password piped twice, as the prompts ask', `${PASSWORD}\n${PASSWORD}\n`],
    ['a line break inside it (CRLF)', `${PASSWORD}\r\nsecond line`],
    ['a blank line after it', `${PASSWORD}\n\n`],
  ])('refuses %s, saying so, and creates nothing', async (_case, stdin) => {
    const email = uniqueEmail('twice');
    const result = await adminCreate(t, ['--email', email], stdin);
    expect(result).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('the piped password contains a line break'),
    });
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const rows = await dataSource.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(0);
  });

  it('takes the password with a single trailing CRLF dropped', async () => {
    const email = uniqueEmail('crlf');
    expect((await adminCreate(t, ['--email', email], `${PASSWORD}\r\n`)).code).toBe(0);
    await expect(login(t, email, PASSWORD)).resolves.toHaveProperty('access_token');
  });

  it('refuses other control characters through the password policy', async () => {
    const email = uniqueEmail('control');
    const result = await adminCreate(t, ['--email', email], `${PASSWORD}\tand a tab\n`);
    expect(result).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('password must not contain control characters'),
    });
    const rows = await dataSource.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(0);
  });

  it('needs --email and never takes the password from the command line', async () => {
    const result = await adminCreate(t, [], PASSWORD);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('--email') });
    // An address the login form refuses could never sign in.
    const local = await adminCreate(t, ['--email', 'admin@localhost'], PASSWORD);
    expect(local).toMatchObject({ code: 2, stderr: expect.stringContaining('--email') });
  });
});

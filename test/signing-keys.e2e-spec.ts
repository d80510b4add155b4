import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import { calculateJwkThumbprint, importJWK } from 'jose';
import { DataSource } from 'typeorm';
import { EnvelopeCipher } from '../src/common/crypto/envelope-cipher';
import { SigningKeyRepository } from '../src/modules/auth/signing-key.repository';
import {
  PublicJwk,
  signingKeyContext,
  SigningKeyService,
} from '../src/modules/auth/signing-key.service';
import { freshDatabase } from './support/test-database';
import { startTestApp, TEST_MASTER_KEY, testConfig, TestApp } from './support/test-app';

const DAY = 24 * 60 * 60 * 1000;

interface KeyRow {
  kid: string;
  status: string;
  private_key_sealed: string;
}

describe('signing keys and JWKS', () => {
  let db: { url: string; drop: () => Promise<void> };
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await freshDatabase();
    t = await startTestApp({ databaseUrl: db.url });
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
    await db.drop();
  });

  const jwks = async () => {
    const res = await t.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    expect(res.statusCode).toBe(200);
    return { res, keys: (JSON.parse(res.body) as { keys: PublicJwk[] }).keys };
  };
  const rows = () =>
    dataSource.query<KeyRow[]>(
      'SELECT kid, status, private_key_sealed FROM signing_keys ORDER BY created_at',
    );

  it('publishes a current and a next key on first start, public halves only', async () => {
    const { res, keys } = await jwks();
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.headers['content-type']).toMatch(/^application\/jwk-set\+json/);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      // kid is the RFC 7638 thumbprint, as an independent implementation computes it.
      expect(key.kid).toBe(await calculateJwkThumbprint(key));
      expect(key).not.toHaveProperty('d');
      await expect(importJWK(key, 'ES256')).resolves.toBeDefined();
    }
    expect((await rows()).map((r) => r.status).sort()).toEqual(['current', 'next']);
  });

  it('stores private keys only sealed under the master key, and they match their public keys', async () => {
    const cipher = new EnvelopeCipher(Buffer.from(TEST_MASTER_KEY, 'base64'));
    const { keys } = await jwks();
    for (const row of await rows()) {
      expect(row.private_key_sealed).toMatch(/^v1\./);
      const der = cipher.decrypt(row.private_key_sealed, signingKeyContext(row.kid));
      const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      const jwk = keys.find((k) => k.kid === row.kid)!;
      const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
      const signature = sign('sha256', Buffer.from('payload'), privateKey);
      expect(verify('sha256', Buffer.from('payload'), publicKey, signature)).toBe(true);
      expect(() => cipher.decrypt(row.private_key_sealed, signingKeyContext('other'))).toThrow();
    }
  });

  it('rotates on schedule: next becomes current, the old current stays published exactly until its tokens expire', async () => {
    const service = t.app.get(SigningKeyService);
    const before = await rows();
    const oldCurrent = before.find((r) => r.status === 'current')!.kid;
    const oldNext = before.find((r) => r.status === 'next')!.kid;

    expect(await service.rotateIfDue(new Date(Date.now() + DAY))).toBe(false);
    const rotatedAt = new Date(Date.now() + 30 * DAY);
    expect(await service.rotateIfDue(rotatedAt)).toBe(true);

    const after = await rows();
    expect(after.find((r) => r.status === 'current')!.kid).toBe(oldNext);
    const retired = after.find((r) => r.kid === oldCurrent)!;
    expect(retired.status).toBe('retired');
    // A retired key only verifies: its private half is gone.
    expect(retired.private_key_sealed).toBeNull();
    const newNext = after.find((r) => r.status === 'next')!.kid;
    expect([oldCurrent, oldNext]).not.toContain(newNext);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([oldNext, newNext, oldCurrent]);

    // Published for the access-token lifetime (15 min) plus clock skew (5 min), not a moment longer.
    const expiry = rotatedAt.getTime() + 20 * 60 * 1000;
    const at = async (ms: number) => (await service.publishedKeys(new Date(ms))).map((k) => k.kid);
    expect(await at(expiry - 1000)).toContain(oldCurrent);
    expect(await at(expiry + 1000)).toEqual([oldNext, newNext]);
    // ...and deleted by the next hourly check after that.
    await service.rotateIfDue(new Date(expiry + 1000));
    expect((await rows()).map((r) => r.kid)).not.toContain(oldCurrent);
  });

  it('refuses to rotate onto a next key verifiers may not have yet, unless forced', async () => {
    const service = t.app.get(SigningKeyService);
    // The previous test's rotation published a new next key moments ago (in real time).
    const next = (await rows()).find((r) => r.status === 'next')!.kid;
    await expect(service.rotate()).rejects.toThrow(/verifiers may not have it before/);
    expect((await rows()).find((r) => r.status === 'next')!.kid).toBe(next);
    // Scheduled rotation waits for the publication lead too, even when the period is over.
    await dataSource.query(
      "UPDATE signing_keys SET activated_at = now() - interval '40 days' WHERE status = 'current'",
    );
    expect(await service.rotateIfDue()).toBe(false);
    expect((await rows()).find((r) => r.status === 'next')!.kid).toBe(next);
    const forced = await service.rotate({ force: true });
    expect(forced.kid).toBe(next);
    expect((await rows()).find((r) => r.status === 'current')!.kid).toBe(forced.kid);
  });

  it('stops when the stored keys were sealed under another master key', async () => {
    const other = new SigningKeyService(
      new SigningKeyRepository(dataSource),
      new EnvelopeCipher(Buffer.alloc(32, 8)),
      testConfig(),
    );
    await expect(other.rotateIfDue()).rejects.toThrow(
      /sealed under master key .* check MASTER_KEY/,
    );
    await expect(other.rotate({ force: true })).rejects.toThrow(/check MASTER_KEY/);
  });

  it('keys:rotate from the CLI refuses a too-young next key, rotates with --force', async () => {
    const cli = async (...args: string[]) => {
      const child = spawn(
        process.execPath,
        [join(__dirname, '..', 'dist', 'src', 'cli.js'), 'keys:rotate', ...args],
        {
          env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, MASTER_KEY: TEST_MASTER_KEY },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      return { code, output };
    };
    const next = (await rows()).find((r) => r.status === 'next')!.kid;
    expect(await cli()).toMatchObject({ code: 1, output: expect.stringContaining('--force') });
    expect(await cli('--force')).toMatchObject({
      code: 0,
      output: expect.stringContaining(`Rotated: ${next} now signs`),
    });
    expect((await rows()).find((r) => r.status === 'current')!.kid).toBe(next);
  });

  it('instances completing the key set at the same time leave exactly one current and one next', async () => {
    await dataSource.query('DELETE FROM signing_keys');
    const instances = [0, 1, 2].map(
      () =>
        new SigningKeyService(
          new SigningKeyRepository(dataSource),
          new EnvelopeCipher(Buffer.from(TEST_MASTER_KEY, 'base64')),
          testConfig(),
        ),
    );
    const due = await Promise.all(instances.map((s) => s.rotateIfDue()));
    expect(due.filter(Boolean)).toHaveLength(1);
    expect((await rows()).map((r) => r.status).sort()).toEqual(['current', 'next']);
  });
});

describe.each([
  ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ['RS256', { kty: 'RSA', e: 'AQAB' }],
])('signing algorithm %s', (alg, shape) => {
  it('generates and publishes keys of that type', async () => {
    const db = await freshDatabase();
    const t = await startTestApp({ databaseUrl: db.url, env: { SIGNING_ALG: alg } });
    try {
      const res = await t.inject({ method: 'GET', url: '/.well-known/jwks.json' });
      const keys = (JSON.parse(res.body) as { keys: PublicJwk[] }).keys;
      expect(keys).toHaveLength(2);
      for (const key of keys) {
        expect(key).toMatchObject({ ...shape, alg, use: 'sig' });
        expect(key.kid).toBe(await calculateJwkThumbprint(key));
        expect(key).not.toHaveProperty('d');
      }
    } finally {
      await t.close();
      await db.drop();
    }
  });
});

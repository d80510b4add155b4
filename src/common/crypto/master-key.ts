import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AppConfig } from '../../config/app-config';

/**
 * The master key: MASTER_KEY when set (production requires it). Otherwise a key file, created
 * once with owner-only permissions, so a development install keeps decrypting what it stored
 * across restarts; that fallback is announced, since a key beside the data protects nothing.
 */
export function loadMasterKey(
  config: AppConfig,
  warn: (message: string) => void,
  { generate }: { generate: boolean } = { generate: true },
): Buffer {
  if (config.crypto.masterKey) return config.crypto.masterKey;
  const file = resolve(config.crypto.masterKeyFile);
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 master key`);
    warn(`MASTER_KEY not set: using the key in ${file}. Set MASTER_KEY in production.`);
    return key;
  }
  if (!generate) {
    // A tool pointed at an existing database must not seal anything under a key of its own.
    throw new Error(
      `MASTER_KEY is not set and ${file} does not exist; refusing to create a new one`,
    );
  }
  const key = randomBytes(32);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  warn(
    `MASTER_KEY not set: generated a new master key into ${file}. Anything encrypted with it is ` +
      'lost if that file is; set MASTER_KEY (32 bytes, base64) in production.',
  );
  return key;
}

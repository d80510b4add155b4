import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/load-config';
import { loadMasterKey } from './master-key';

describe('loadMasterKey', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses MASTER_KEY when set, touching no file', () => {
    const file = join(dir, 'unused.key');
    const key = Buffer.alloc(32, 3);
    const warnings: string[] = [];
    const config = loadConfig({ MASTER_KEY: key.toString('base64'), MASTER_KEY_FILE: file });
    expect(loadMasterKey(config, (m) => warnings.push(m))).toEqual(key);
    expect(warnings).toEqual([]);
    expect(() => statSync(file)).toThrow();
  });

  it('generates an owner-only key file once, warns, and reuses it afterwards', () => {
    const file = join(dir, 'nested', 'master.key');
    const config = loadConfig({ MASTER_KEY_FILE: file });
    const warnings: string[] = [];
    const first = loadMasterKey(config, (m) => warnings.push(m));
    expect(first).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadMasterKey(config, (m) => warnings.push(m))).toEqual(first);
    expect(warnings[0]).toMatch(/generated a new master key/);
    expect(warnings[1]).toMatch(/using the key in/);
    expect(warnings.join(' ')).not.toContain(first.toString('base64'));
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('base64'));
  });

  it('never creates a key when told not to (tools pointed at an existing database)', () => {
    const file = join(dir, 'absent.key');
    expect(() =>
      loadMasterKey(loadConfig({ MASTER_KEY_FILE: file }), () => undefined, { generate: false }),
    ).toThrow('refusing to create a new one');
    expect(() => statSync(file)).toThrow();
  });

  it('refuses a key file that does not hold 32 bytes', () => {
    const file = join(dir, 'short.key');
    writeFileSync(file, Buffer.alloc(8).toString('base64'));
    expect(() => loadMasterKey(loadConfig({ MASTER_KEY_FILE: file }), () => undefined)).toThrow(
      '32-byte',
    );
  });
});

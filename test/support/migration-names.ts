import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The names TypeORM records for the repository's migrations, oldest first: a file
 * `<timestamp>-<Name>.ts` holds class `<Name><timestamp>`.
 */
export const MIGRATION_NAMES: string[] = readdirSync(join(__dirname, '..', '..', 'migrations'))
  .filter((file) => file.endsWith('.ts'))
  .sort()
  .map((file) => {
    const [timestamp, name] = file.replace(/\.ts$/, '').split('-');
    return `${name}${timestamp}`;
  });

import { QueryFailedError } from 'typeorm';

const SQLSTATES = { unique: '23505', foreign_key: '23503' } as const;

/**
 * Whether a statement failed on a constraint of this kind: through TypeORM (a QueryFailedError
 * wrapping the driver's error) or through a named statement of the driver itself
 * (`Transactions.prepared`).
 */
export function isConstraintViolation(error: unknown, kind: keyof typeof SQLSTATES): boolean {
  const driverError: unknown = error instanceof QueryFailedError ? error.driverError : error;
  return (driverError as { code?: unknown } | null)?.code === SQLSTATES[kind];
}

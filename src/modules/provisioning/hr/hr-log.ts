import { createHash } from 'node:crypto';

/**
 * How an employee appears in logs: the first 16 hex digits of the SHA-256 of their HR id, never
 * the id itself (emails are masked by the log scrubber). The key is `employee_ref`: a key
 * naming a hash is redacted whole by the scrubber.
 */
export function employeeRef(employeeId: string): string {
  return createHash('sha256').update(employeeId, 'utf8').digest('hex').slice(0, 16);
}

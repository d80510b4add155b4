import { DomainError } from '../../../common/errors/domain-error';
import { ScimErrorCode } from '../../../common/errors/error-code';

/** A resource version as its weak entity tag (RFC 7644 §3.14). */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** Whether an `If-Match`/`If-None-Match` header names this tag (`*`: any), weakly compared. */
export function namesTag(header: string, etag: string): boolean {
  const opaque = etag.replace(/^W\//, '');
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === '*' || tag === opaque);
}

/** Refuses (412) a change whose `If-Match` names a version the resource no longer has. */
export function assertIfMatch(header: string | undefined, version: number): void {
  if (header === undefined || namesTag(header, etagOf(version))) return;
  throw new DomainError(
    ScimErrorCode.PreconditionFailed,
    `The resource is at version ${etagOf(version)}, not the one If-Match names; read it again.`,
  );
}

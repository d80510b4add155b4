import { DomainError } from './domain-error';
import { CommonErrorCode, ScimErrorCode, UsersErrorCode, AccessErrorCode } from './error-code';
import type { MappedProblem } from './problem-mapper';

export const SCIM_CONTENT_TYPE = 'application/scim+json';
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** Whether a request URL (query string and all) is under the SCIM service provider's base. */
export function isScimPath(url: string): boolean {
  return url === SCIM_BASE_PATH || /^\/scim\/v2[/?]/.test(url);
}

/** The base of the SCIM service provider's endpoints. */
export const SCIM_BASE_PATH = '/scim/v2';

/** The `scimType` values of RFC 7644 §3.12 Gatehouse answers with. */
export type ScimType = Exclude<ScimErrorCode, ScimErrorCode.PreconditionFailed>;

/** The body of a SCIM error response (RFC 7644 §3.12): the status is a string there. */
export interface ScimErrorBody {
  schemas: [typeof SCIM_ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export interface ScimErrorResponse {
  status: number;
  body: ScimErrorBody;
  headers: Record<string, string>;
}

/**
 * The one status of each error a SCIM endpoint raises itself. The type makes a new code without
 * a status a compile error.
 */
export const SCIM_ERROR_STATUS: { readonly [Code in ScimErrorCode]: number } = {
  [ScimErrorCode.InvalidFilter]: 400,
  [ScimErrorCode.TooMany]: 400,
  [ScimErrorCode.Uniqueness]: 409,
  [ScimErrorCode.Mutability]: 400,
  [ScimErrorCode.InvalidSyntax]: 400,
  [ScimErrorCode.InvalidPath]: 400,
  [ScimErrorCode.NoTarget]: 400,
  [ScimErrorCode.InvalidValue]: 400,
  [ScimErrorCode.InvalidVersion]: 400,
  [ScimErrorCode.PreconditionFailed]: 412,
};

const isScimErrorCode = (code: string): code is ScimErrorCode =>
  Object.hasOwn(SCIM_ERROR_STATUS, code);

/** Problems of other modules that a SCIM client knows as a `scimType`. */
const SCIM_TYPE_OF_PROBLEM: Partial<Record<string, ScimType>> = {
  [UsersErrorCode.EmailTaken]: ScimErrorCode.Uniqueness,
  [AccessErrorCode.NameTaken]: ScimErrorCode.Uniqueness,
  [CommonErrorCode.MalformedBody]: ScimErrorCode.InvalidSyntax,
  [CommonErrorCode.BadRequest]: ScimErrorCode.InvalidSyntax,
  [CommonErrorCode.ValidationFailed]: ScimErrorCode.InvalidValue,
};

function body(status: number, detail: string, scimType?: ScimType): ScimErrorBody {
  return {
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail,
  };
}

/**
 * How an error raised under `/scim/v2` is answered: in SCIM's shape (RFC 7644 §3.12), whatever
 * went wrong, since provisioning clients (Okta, Entra ID) parse nothing else. SCIM's own codes
 * keep their `scimType` and status. Anything else has been mapped to a problem already and keeps
 * that problem's status and safe detail: a taken address or name is a 409 `uniqueness`, a body
 * that does not parse `invalidSyntax`, a field refused `invalidValue` (400, the status SCIM gives
 * it), and the challenge of a 401 and the wait of a 429 keep their headers.
 */
export function toScimErrorResponse(error: unknown, mapped: MappedProblem): ScimErrorResponse {
  if (error instanceof DomainError && isScimErrorCode(error.code)) {
    const status = SCIM_ERROR_STATUS[error.code];
    const scimType = error.code === ScimErrorCode.PreconditionFailed ? undefined : error.code;
    return { status, body: body(status, error.detail, scimType), headers: {} };
  }
  const { problem } = mapped;
  const scimType = SCIM_TYPE_OF_PROBLEM[problem.code];
  const status = problem.status === 422 ? 400 : problem.status;
  const detail = problem.errors?.length
    ? `${problem.detail} ${problem.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`
    : problem.detail;
  const headers: Record<string, string> = {};
  for (const name of ['www-authenticate', 'retry-after']) {
    if (mapped.headers[name] !== undefined) headers[name] = mapped.headers[name];
  }
  return { status, body: body(status, detail, scimType), headers };
}

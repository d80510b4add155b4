import { FormParameters } from '../../common/http/form-body';
import { DomainError } from '../../common/errors/domain-error';
import { OAuthErrorCode } from '../../common/errors/error-code';

/** The client authentication methods Gatehouse accepts (RFC 6749 §2.3.1, RFC 8414 names). */
export const CLIENT_AUTHENTICATION_METHODS = ['client_secret_basic', 'client_secret_post'] as const;

/** Credentials a request presents, not yet checked. */
export interface PresentedClientCredentials {
  clientId: string;
  secret: string;
}

/**
 * The one value of a parameter, or undefined when it is absent or empty ("sent without a
 * value", RFC 6749 §3.1). A parameter sent twice is an `invalid_request` (§3.2).
 */
export function singleParameter(form: FormParameters, name: string): string | undefined {
  const values = form.get(name) ?? [];
  if (values.length > 1) {
    throw new DomainError(OAuthErrorCode.InvalidRequest, `The ${name} parameter is repeated.`);
  }
  return values[0] === '' ? undefined : values[0];
}

export function invalidClient(description = 'Client authentication failed.'): DomainError {
  return new DomainError(OAuthErrorCode.InvalidClient, description);
}

const BASIC = /^basic +([A-Za-z0-9+/]+={0,2})$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `application/x-www-form-urlencoded` decoding of one component (RFC 6749 §2.3.1, Appendix B). */
function formDecode(component: string): string | null {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

/** The id and secret of `Authorization: Basic …`, or null when the header is not well-formed. */
function basicCredentials(header: string): PresentedClientCredentials | null {
  const encoded = BASIC.exec(header)?.[1];
  if (!encoded) return null;
  const bytes = Buffer.from(encoded, 'base64');
  // Strict base64: what decodes must encode back to the same text.
  if (bytes.toString('base64') !== encoded) return null;
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  return clientId && secret ? { clientId, secret } : null;
}

/**
 * The client credentials of a request to an OAuth endpoint: HTTP Basic (client_secret_basic,
 * id and secret form-encoded before base64, RFC 6749 §2.3.1) or `client_id` and `client_secret`
 * in the body (client_secret_post), and exactly one of them. Any `Authorization` header counts
 * as an attempt to authenticate with it, answered 401 with a Basic challenge when it fails.
 */
export function presentedClientCredentials(
  authorization: string | undefined,
  form: FormParameters,
): PresentedClientCredentials {
  const bodyId = singleParameter(form, 'client_id');
  const bodySecret = singleParameter(form, 'client_secret');
  if (authorization !== undefined) {
    if (bodySecret !== undefined) {
      throw new DomainError(
        OAuthErrorCode.InvalidRequest,
        'The request uses more than one client authentication method (Authorization header and client_secret).',
      );
    }
    const basic = basicCredentials(authorization);
    if (!basic) {
      throw invalidClient(
        'Client authentication failed: the Authorization header is not well-formed HTTP Basic.',
      );
    }
    // RFC 6749 §3.2.1 lets a client name itself in the body too; it must then be the same one.
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new DomainError(
        OAuthErrorCode.InvalidRequest,
        'The client_id parameter names another client than the Authorization header.',
      );
    }
    return basic;
  }
  if (bodyId === undefined || bodySecret === undefined) {
    throw invalidClient('Client authentication failed: the request authenticates no client.');
  }
  return { clientId: bodyId, secret: bodySecret };
}

import { isIP } from 'node:net';
import { DomainError } from '../../common/errors/domain-error';
import { FederationErrorCode } from '../../common/errors/error-code';
import { classifyAddress } from '../events/webhooks/address-class';
import { hostOf, isAllowedHost } from '../events/webhooks/webhook-url';

const MAX_URL_LENGTH = 2048;

export interface ProviderUrlRules {
  /** FEDERATION_ALLOWED_HOSTS: hosts that may be loopback, private or link-local. */
  allowedHosts: string[];
  /** Production: https only. */
  requireHttps: boolean;
}

function invalid(field: string, message: string): DomainError {
  return new DomainError(FederationErrorCode.InvalidProviderUrl, `\`${field}\` ${message}.`, {
    errors: [{ field, message }],
  });
}

function parse(field: string, raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) {
    throw invalid(field, `is longer than ${MAX_URL_LENGTH} characters`);
  }
  try {
    return new URL(raw);
  } catch {
    throw invalid(field, 'is not an absolute URL');
  }
}

/**
 * A URL Gatehouse itself will call (the issuer, a management API): http(s) (https only in
 * production), no credentials, query or fragment, and not an address or `localhost` that
 * ProviderHttp would refuse anyway unless the host is allowed. Returns it without a trailing `/`
 * for a management API; an issuer is kept exactly as given, since ID tokens must match it.
 */
export function checkOutboundUrl(field: string, raw: string, rules: ProviderUrlRules): string {
  const url = parse(field, raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid(field, 'must use http or https');
  }
  if (rules.requireHttps && url.protocol !== 'https:') throw invalid(field, 'must use https');
  if (url.username || url.password) throw invalid(field, 'must not carry credentials');
  if (url.search || url.hash) throw invalid(field, 'must not have a query or a fragment');
  const host = hostOf(url);
  if (!isAllowedHost(host, rules.allowedHosts)) {
    if (isIP(host) && classifyAddress(host) !== 'public') {
      throw invalid(field, `points to a ${classifyAddress(host).replace('_', '-')} address`);
    }
    if (host === 'localhost' || host.endsWith('.localhost')) {
      throw invalid(field, 'points to a loopback address');
    }
  }
  return raw;
}

/**
 * A redirect URI of the allowlist: absolute, without a fragment (RFC 6749 §3.1.2), https or a
 * loopback http one (RFC 8252 §7.3) or a private-use scheme of a native app (§7.1).
 */
export function checkRedirectUri(field: string, raw: string): string {
  const url = parse(field, raw);
  if (url.hash) throw invalid(field, 'must not have a fragment');
  if (url.username || url.password) throw invalid(field, 'must not carry credentials');
  if (url.protocol === 'http:') {
    const host = hostOf(url);
    const loopback = host === 'localhost' || (isIP(host) && classifyAddress(host) === 'loopback');
    if (!loopback) throw invalid(field, 'must use https unless it is a loopback address');
  } else if (
    url.protocol !== 'https:' &&
    !/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(url.protocol)
  ) {
    throw invalid(field, 'must use https, loopback http or a reverse-domain private scheme');
  }
  return raw;
}

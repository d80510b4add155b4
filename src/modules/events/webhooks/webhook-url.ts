import { isIP } from 'node:net';
import { DomainError } from '../../../common/errors/domain-error';
import { EventsErrorCode } from '../../../common/errors/error-code';
import { classifyAddress } from './address-class';

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface WebhookUrlRules {
  /** Hosts (lower case) that may be loopback, private or link-local. */
  allowedHosts: string[];
  /** Production: only https. */
  requireHttps: boolean;
}

function invalid(message: string): DomainError {
  return new DomainError(EventsErrorCode.InvalidWebhookUrl, `The webhook URL ${message}.`, {
    errors: [{ field: 'url', message }],
  });
}

/** The host of a URL as names and addresses are compared: lower case, IPv6 without brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

export function isAllowedHost(host: string, allowedHosts: string[]): boolean {
  return allowedHosts.includes(host);
}

/**
 * Checks a URL an admin gives for an endpoint, before anything is stored: absolute http(s)
 * (https only in production), no credentials, and not an address (or `localhost`) that
 * deliveries would refuse anyway. Names are resolved, and checked again, at each delivery.
 * Returns the URL normalised.
 */
export function checkWebhookUrl(raw: string, rules: WebhookUrlRules): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalid('must use http or https');
  }
  if (rules.requireHttps && url.protocol !== 'https:') throw invalid('must use https');
  if (url.username || url.password) throw invalid('must not carry credentials');
  if (url.hash) throw invalid('must not have a fragment');
  const host = hostOf(url);
  if (!host) throw invalid('has no host');
  if (!isAllowedHost(host, rules.allowedHosts)) {
    if (isIP(host) && classifyAddress(host) !== 'public') {
      throw invalid(`points to a ${classifyAddress(host).replace('_', '-')} address`);
    }
    if (host === 'localhost' || host.endsWith('.localhost')) {
      throw invalid('points to a loopback address');
    }
  }
  const normalised = url.toString();
  if (normalised.length > MAX_WEBHOOK_URL_LENGTH) {
    throw invalid(`is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  return normalised;
}

import { lookup } from 'node:dns/promises';
import { IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { classifyAddress } from '../events/webhooks/address-class';
import { hostOf, isAllowedHost } from '../events/webhooks/webhook-url';

/** The largest answer read from a provider (a discovery document, a page of users). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Why a request to a provider got no answer; never carries the URL's query or a secret. */
export class ProviderUnreachable extends Error {
  constructor(readonly reason: 'timeout' | 'dns' | 'address_refused' | 'connection' | 'too_large') {
    super(`identity provider unreachable: ${reason}`);
  }
}

export interface ProviderRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | URLSearchParams | null;
  signal?: AbortSignal | null;
}

/** The only address the socket may use: the one the SSRF check accepted (no DNS rebinding). */
function pinnedLookup(address: string, family: number): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address, family },
      ]);
    } else {
      callback(null, address, family);
    }
  };
}

/**
 * Every request Gatehouse makes to an identity provider (discovery, JWKS, token, management
 * APIs): a `fetch` that resolves the host and refuses loopback, private, link-local and metadata
 * addresses unless FEDERATION_ALLOWED_HOSTS names the host, connects to the address it checked,
 * never follows a redirect, and gives up after FEDERATION_TIMEOUT_MS. The outbound webhooks'
 * address rules (address-class.ts) decide what is public.
 */
@Injectable()
export class ProviderHttp {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** As `fetch`, for openid-client's `customFetch` and the management API clients. */
  readonly fetch = async (input: string | URL, init: ProviderRequest = {}): Promise<Response> => {
    const url = new URL(input);
    const timeout = AbortSignal.timeout(this.config.federation.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      const { address, family } = await this.resolve(url, signal);
      return await this.send(url, address, family, init, signal);
    } catch (error) {
      if (error instanceof ProviderUnreachable) throw error;
      throw new ProviderUnreachable(signal.aborted ? 'timeout' : 'connection');
    }
  };

  private async resolve(
    url: URL,
    signal: AbortSignal,
  ): Promise<{ address: string; family: number }> {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ProviderUnreachable('address_refused');
    }
    const host = hostOf(url);
    let addresses: { address: string; family: number }[];
    if (isIP(host)) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      const aborted = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new ProviderUnreachable('timeout')), {
          once: true,
        }),
      );
      addresses = await Promise.race([lookup(host, { all: true, verbatim: true }), aborted]).catch(
        (error: unknown) => {
          throw error instanceof ProviderUnreachable ? error : new ProviderUnreachable('dns');
        },
      );
    }
    if (addresses.length === 0) throw new ProviderUnreachable('dns');
    if (
      !isAllowedHost(host, this.config.federation.allowedHosts) &&
      addresses.some(({ address }) => classifyAddress(address) !== 'public')
    ) {
      throw new ProviderUnreachable('address_refused');
    }
    return addresses[0];
  }

  private send(
    url: URL,
    address: string,
    family: number,
    init: ProviderRequest,
    signal: AbortSignal,
  ): Promise<Response> {
    const body = init.body === undefined || init.body === null ? null : String(init.body);
    const headers: Record<string, string> = { ...init.headers };
    if (init.body instanceof URLSearchParams && !hasHeader(headers, 'content-type')) {
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    }
    if (body !== null) headers['content-length'] = String(Buffer.byteLength(body));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: init.method ?? 'GET',
        headers,
        signal,
        lookup: pinnedLookup(address, family),
      });
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            reject(new ProviderUnreachable('too_large'));
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 502;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const one of Array.isArray(value) ? value : [value]) {
              responseHeaders.append(name, one);
            }
          }
          const nullBody = status === 204 || status === 304 || (status >= 100 && status < 200);
          resolve(
            new Response(nullBody ? null : Buffer.concat(chunks), {
              status,
              headers: responseHeaders,
            }),
          );
        });
      });
      req.end(body ?? undefined);
    });
  }
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

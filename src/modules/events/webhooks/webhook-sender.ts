import { lookup } from 'node:dns/promises';
import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../../config/app-config';
import { classifyAddress } from './address-class';
import { DeliveryError } from './webhook-delivery.entity';
import { hostOf, isAllowedHost } from './webhook-url';

/** How much of a response body the delivery log keeps. */
export const RESPONSE_EXCERPT_BYTES = 1024;
/** Receivers whose idle connections are kept; beyond, the longest-known one's are closed. */
const MAX_AGENTS = 256;
/** Connections to one receiver at once, at most. */
const SOCKETS_PER_RECEIVER = 32;

export interface SendResult {
  /** The response status, when one came. */
  statusCode: number | null;
  /** Why it is not a success; null for a 2xx. */
  error: DeliveryError | null;
  latencyMs: number;
  /** The first KiB of the body, as text (null when no response came). */
  responseBody: string | null;
}

class AttemptFailed extends Error {
  constructor(readonly kind: DeliveryError) {
    super(kind);
  }
}

/**
 * One address, the one that was checked, for every lookup the socket makes: the connection
 * goes where the SSRF check looked, whatever the name resolves to a moment later (DNS
 * rebinding). The name itself still goes into the Host header and TLS (SNI, certificate).
 */
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
 * Sends one webhook request: resolves the host and refuses addresses that are not public
 * (unless the host is allowed by WEBHOOK_ALLOWED_HOSTS), connects to the address it checked,
 * never follows a redirect, and gives up after WEBHOOK_TIMEOUT_MS (resolution included).
 */
@Injectable()
export class WebhookSender implements OnApplicationShutdown {
  /**
   * Keep-alive connections, by scheme, host and the address checked for it: a delivery reuses
   * a connection only to the address its own resolution checked, so pinning still holds.
   */
  private readonly agents = new Map<string, HttpAgent>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  onApplicationShutdown(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.config.webhooks.timeoutMs);
    try {
      const target = new URL(url);
      const { address, family } = await this.resolve(target, abort.signal);
      const response = await this.request(target, address, family, headers, body, abort.signal);
      const status = response.statusCode;
      const error: DeliveryError | null =
        status >= 200 && status < 300
          ? null
          : status >= 300 && status < 400
            ? 'redirect'
            : 'http_status';
      return { statusCode: status, error, latencyMs: elapsed(), responseBody: response.excerpt };
    } catch (error) {
      const kind: DeliveryError = abort.signal.aborted
        ? 'timeout'
        : error instanceof AttemptFailed
          ? error.kind
          : 'connection';
      return { statusCode: null, error: kind, latencyMs: elapsed(), responseBody: null };
    } finally {
      clearTimeout(timer);
    }
  }

  private async resolve(
    url: URL,
    signal: AbortSignal,
  ): Promise<{ address: string; family: number }> {
    const host = hostOf(url);
    let addresses: { address: string; family: number }[];
    if (isIP(host)) {
      addresses = [{ address: host, family: isIP(host) }];
    } else {
      const resolving = lookup(host, { all: true, verbatim: true });
      const aborted = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(new AttemptFailed('timeout')), {
          once: true,
        }),
      );
      addresses = await Promise.race([resolving, aborted]).catch((error: unknown) => {
        throw error instanceof AttemptFailed ? error : new AttemptFailed('dns');
      });
    }
    if (addresses.length === 0) throw new AttemptFailed('dns');
    // Every address the name has must be public: any of them could be the one connected to.
    if (
      !isAllowedHost(host, this.config.webhooks.allowedHosts) &&
      addresses.some(({ address }) => classifyAddress(address) !== 'public')
    ) {
      throw new AttemptFailed('address_refused');
    }
    return addresses[0];
  }

  private agentFor(url: URL, address: string, family: number): HttpAgent {
    const key = `${url.protocol}//${url.host}@${address}`;
    let agent = this.agents.get(key);
    if (!agent) {
      if (this.agents.size >= MAX_AGENTS) {
        // The oldest first: Maps iterate in insertion order.
        const [oldestKey, oldest] = this.agents.entries().next().value as [string, HttpAgent];
        oldest.destroy();
        this.agents.delete(oldestKey);
      }
      const options = {
        keepAlive: true,
        maxSockets: SOCKETS_PER_RECEIVER,
        lookup: pinnedLookup(address, family),
      };
      agent = url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
      this.agents.set(key, agent);
    }
    return agent;
  }

  private request(
    url: URL,
    address: string,
    family: number,
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<{ statusCode: number; excerpt: string }> {
    const https = url.protocol === 'https:';
    const agent = this.agentFor(url, address, family);
    const send = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: 'POST',
        agent,
        signal,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      });
      req.on('error', reject);
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = (whole: boolean) => {
          // A body read to its end leaves the connection to the next delivery; a longer one
          // than the log keeps is not read on, and its connection is closed.
          if (!whole) res.destroy();
          resolve({
            statusCode: res.statusCode ?? 0,
            excerpt: Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8'),
          });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          kept += chunk.length;
          // The rest of the body is not needed: stop reading once the excerpt is full.
          if (kept >= RESPONSE_EXCERPT_BYTES) finish(false);
        });
        res.on('end', () => finish(true));
        res.on('error', reject);
      });
      req.end(body);
    });
  }
}

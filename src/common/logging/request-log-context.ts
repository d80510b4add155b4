import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/**
 * What a request's log lines carry. The child logger is made the first time something logs
 * during the request: most requests log nothing but their access line, and a pino child costs
 * more than the rest of a cheap request's logging.
 */
export class RequestLogContext {
  private child?: Logger;

  constructor(
    private readonly root: Logger,
    readonly requestId: string,
  ) {}

  get logger(): Logger {
    this.child ??= this.root.child({ request_id: this.requestId });
    return this.child;
  }
}

/** The request being served, through every async call it makes. */
export const requestLogContext = new AsyncLocalStorage<RequestLogContext>();

/** The logger for the current request (with its request id), or `root` outside of one. */
export function currentLogger(root: Logger): Logger {
  return requestLogContext.getStore()?.logger ?? root;
}

/** The id of the request being served, or null outside of one. */
export function currentRequestId(): string | null {
  return requestLogContext.getStore()?.requestId ?? null;
}

import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';
import { currentLogger } from './request-log-context';

/** Where Nest's `Logger` writes: pino, with the request id of the request being served. */
export class AppLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  /**
   * Nest's contract: the context (the class that logs) comes last; anything between the message
   * and it are printf arguments. A leading object is merged into the line, an Error becomes
   * `err`.
   */
  private write(level: Level, message: unknown, optionalParams: unknown[]): void {
    if (!this.root.isLevelEnabled(level)) return;
    const logger = currentLogger(this.root);
    const fields: Record<string, unknown> = {};
    let params = optionalParams;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      params = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
      logger[level](fields, ...(params as []));
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...message }, ...(params as []));
    } else if (isExceptionHandlerCall(level, message, params)) {
      // Nest's own exception handlers call error(message, stack, context).
      const err = new Error(message);
      err.stack = params[0] as string;
      logger[level]({ ...fields, err });
    } else {
      logger[level](fields, String(message), ...(params as []));
    }
  }
}

function isExceptionHandlerCall(
  level: Level,
  message: unknown,
  params: unknown[],
): message is string {
  return (
    level === 'error' &&
    typeof message === 'string' &&
    params.length === 1 &&
    typeof params[0] === 'string' &&
    /\n\s*at /.test(params[0])
  );
}

// Nest's logger as JSON lines (pino): one object per line with the level, the time, the Nest
// context, the message and, inside an HTTP request, the request id the client got back as
// `x-request-id`. CODEX_LB_LOG_FORMAT=pretty keeps Nest's coloured text for a terminal.
//
// Only what callers pass as a message is written: request bodies, headers and query strings are
// never logged by this layer, and errors contribute their name, message, code and stack only
// (never their other properties: a TypeORM QueryFailedError carries the query's parameters).
import { ConsoleLogger, type LoggerService, type LogLevel } from '@nestjs/common';
import pino, { type DestinationStream, type Logger as Pino } from 'pino';
import type { Settings } from '../../config/settings';
import { currentRequestContext } from '../request-context';

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const PINO_LEVEL: Record<Settings['logLevel'], PinoLevel> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'trace',
};

const NEST_LEVELS: Record<Settings['logLevel'], LogLevel[]> = {
  error: ['error', 'fatal'],
  warn: ['error', 'fatal', 'warn'],
  log: ['error', 'fatal', 'warn', 'log'],
  debug: ['error', 'fatal', 'warn', 'log', 'debug', 'verbose'],
};

/** A stack as Nest passes it: a string whose second line starts with "at". */
const STACK = /\n\s+at /;

/**
 * A failed query's message may quote a parameter (Postgres data exceptions do); the query's own
 * log line (database/data-source.ts) already says what failed, without values.
 */
const QUERY_FAILED = 'QueryFailedError';
const WITHHELD = 'the query failed (see the Database line of this request for its SQLSTATE)';

function withoutQueryMessage(stack: string): string {
  if (!stack.startsWith(`${QUERY_FAILED}:`)) return stack;
  const end = stack.search(/\n\s+at /);
  return `${QUERY_FAILED}: ${WITHHELD}${end === -1 ? '' : stack.slice(end)}`;
}

function errorFields(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  const query = error.name === QUERY_FAILED;
  return {
    type: error.name,
    message: query ? WITHHELD : error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.stack ? { stack: withoutQueryMessage(error.stack) } : {}),
  };
}

/** Keys of a line that fields passed by a caller cannot replace. */
const RESERVED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'context']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

export interface JsonLoggerOptions {
  level: Settings['logLevel'];
  /** Where lines go: standard output (synchronously, so nothing is lost at exit) by default. */
  destination?: DestinationStream;
}

export class JsonLogger implements LoggerService {
  readonly pino: Pino;

  constructor(options: JsonLoggerOptions) {
    this.pino = pino(
      {
        level: PINO_LEVEL[options.level],
        messageKey: 'msg',
        // `err` is already the few fields errorFields keeps; pino's serializer would add the rest.
        serializers: { err: (value: unknown) => value },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin() {
          const requestId = currentRequestContext()?.requestId;
          return requestId ? { reqId: requestId } : {};
        },
      },
      options.destination ?? pino.destination({ dest: 1, sync: true }),
    );
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params, false);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params, false);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params, true);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params, true);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params, false);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params, false);
  }

  /**
   * Nest's calling convention: the last string parameter is the context; for errors, a string
   * parameter that looks like a stack is the stack.
   */
  private write(level: PinoLevel, message: unknown, params: unknown[], withStack: boolean): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = [...params];
    if (
      typeof rest[rest.length - 1] === 'string' &&
      !(withStack && rest.length === 1 && STACK.test(rest[0] as string))
    ) {
      fields.context = rest.pop();
    }
    for (const param of rest) {
      if (param === undefined) continue;
      if (typeof param === 'string' && withStack) fields.stack = withoutQueryMessage(param);
      else if (param instanceof Error) fields.err = errorFields(param);
      else if (isPlainObject(param)) {
        for (const [key, value] of Object.entries(param)) if (!RESERVED.has(key)) fields[key] = value;
      }
    }
    let text: string;
    if (message instanceof Error) {
      const err = errorFields(message);
      fields.err = err;
      text = err.message as string;
    } else if (typeof message === 'string') {
      text = message;
    } else {
      fields.data = message;
      text = '';
    }
    this.pino[level](fields, text);
  }
}

/** Nest's coloured text; the fields a JSON line would carry beside the message are left out. */
class PrettyLogger extends ConsoleLogger {
  private static text(params: unknown[]): unknown[] {
    return params.filter((param) => !isPlainObject(param));
  }
  log(message: unknown, ...params: unknown[]): void {
    super.log(message, ...PrettyLogger.text(params));
  }
  warn(message: unknown, ...params: unknown[]): void {
    super.warn(message, ...PrettyLogger.text(params));
  }
  debug(message: unknown, ...params: unknown[]): void {
    super.debug(message, ...PrettyLogger.text(params));
  }
  verbose(message: unknown, ...params: unknown[]): void {
    super.verbose(message, ...PrettyLogger.text(params));
  }
}

/** The logger the settings ask for: JSON lines, or Nest's own coloured text. */
export function createLogger(settings: Pick<Settings, 'logLevel' | 'logFormat'>, destination?: DestinationStream) {
  if (settings.logFormat === 'json') return new JsonLogger({ level: settings.logLevel, destination });
  return new PrettyLogger({ logLevels: NEST_LEVELS[settings.logLevel] });
}

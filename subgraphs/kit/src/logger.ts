import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values never reach a log line, at any depth: headers (`authorization`, `cookie`, `x-api-key`),
 * passwords, secrets, tokens of every kind, API keys and credentials. Matching by key name rather than by fixed
 * paths is what catches a password nested deep inside GraphQL variables.
 */
export const SECRET_KEY = /authorization|cookie|passw|secret|token|api[-_]?key|private[-_]?key|pepper|credential/i;
export const REDACTED = '[redacted]';
/**
 * A JSON Web Token (compact JWS: three base64url parts, the first `{"…` encoded) is a credential whatever key holds
 * it, e.g. a signed identity assertion in a custom header: redacted by its shape.
 */
const JWT = /eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;

const MAX_DEPTH = 8;

/** A copy of `value` with every secret-named key's value replaced; never mutates the input. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(JWT, REDACTED);
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  // Errors, Dates, Buffers keep their own shape: pino's serializers handle them. Compared by name because objects
  // made by Node's own modules (request headers) come from another realm under jest.
  const constructorName = (value as { constructor?: { name?: string } }).constructor?.name;
  if (constructorName !== undefined && constructorName !== 'Object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? REDACTED : redactSecrets(item, depth + 1)]),
  );
}

/** The active trace, so a log line can be found from its trace and the other way round. */
function traceFields(): { traceId?: string; spanId?: string } {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && isSpanContextValid(spanContext)
    ? { traceId: spanContext.traceId, spanId: spanContext.spanId }
    : {};
}

/** One JSON logger per process part; children carry `requestId`, and every line inside a traced request its `traceId`. */
export function createLogger(
  name: string,
  level: string = process.env.LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
    mixin: traceFields,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

import { createRequire } from 'node:module';
import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { RequestHandler } from 'express';
import type { Logger } from './logger';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';

/*
 * Spans are made here by hand rather than by auto-instrumentation: require-hook patching does not reach modules that
 * jest or tsx load themselves, so the traces a test sees would differ from production's. Three places are enough:
 * the incoming HTTP request (router and subgraphs), the router's subgraph fetch (context injected into the headers;
 * @apollo/gateway already makes the gateway.* spans through @opentelemetry/api) and each SQL statement.
 */
const tracer = trace.getTracer('@azora/kit');

export interface Telemetry {
  /** Flushes spans still buffered, then stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry tracing for this process. Off unless OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; the standard OTEL_* variables then configure the OTLP exporter,
 * sampler and propagators. Tests pass their own span processors instead.
 */
export function startTelemetry(serviceName: string, spanProcessors?: SpanProcessor[]): Telemetry | undefined {
  const env = process.env;
  if (!spanProcessors && !env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  // Loaded only when tracing is on: the SDK and its exporters take about 0.4 s to load, paid by every process start.
  const { NodeSDK } = createRequire(__filename)('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    spanProcessors,
    // Metrics go to Prometheus through prom-client and logs to stdout through pino; OpenTelemetry carries traces only.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

/** The W3C `traceparent` of a context (the active one by default); undefined when tracing is off or nothing is traced. */
export function activeTraceparent(from: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  return carrier.traceparent;
}

/**
 * The trace context a domain event carries. An event without one starts a trace of its own rather than joining
 * whatever happens to be active where it is handled (in-process, the relay's publish of another event).
 */
export function eventTraceContext(event: { traceparent?: string } | undefined): Context {
  return event?.traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent: event.traceparent }) : ROOT_CONTEXT;
}

/** Runs `work` in a new span, child of `parent`, active for everything `work` does; failures mark the span. */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  parent: Context,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, options, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

function traceIdOf(span: Span): string | undefined {
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/**
 * The first middleware of an HTTP endpoint: settles the request id, continues the caller's trace (`traceparent`)
 * in a server span that is active for everything the request does, and writes one access-log line when the
 * response is done. Headers are logged as operators expect; the logger redacts the secret ones.
 */
export function requestScope(service: string, log: Logger): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdFrom(req.headers);
    // The GraphQL context reads the id from the header again; normalising it here makes both see the same one.
    req.headers[REQUEST_ID_HEADER] = requestId;
    const parent = propagation.extract(context.active(), req.headers);
    const route = `${req.baseUrl}${req.path === '/' ? '' : req.path}`;
    const span = tracer.startSpan(
      `${req.method} ${route}`,
      // Attribute names from the OpenTelemetry HTTP semantic conventions.
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'url.path': route, 'azora.service': service },
      },
      parent,
    );
    const active = trace.setSpan(parent, span);
    const started = process.hrtime.bigint();
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500 || !res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      log.info(
        {
          requestId,
          traceId: traceIdOf(span),
          req: { method: req.method, url: req.originalUrl, headers: req.headers },
          res: { statusCode: res.statusCode },
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request completed',
      );
    });
    context.with(active, next);
  };
}

/**
 * The statement with every literal replaced by `?`. MikroORM writes bound values into the SQL text it hands to knex,
 * and those values are user data (emails, hashes, amounts): a span keeps the statement's shape only.
 */
export function sanitizeSql(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'/g, '?').replace(/(?<![\w$.])-?\d+(?:\.\d+)?(?![\w.])/g, '?');
}

/** A client span for one SQL statement, or nothing outside a traced request (start-up migrations make no traces). */
export function startSqlSpan(sql: string, dialect: string, service: string): Span | undefined {
  const parent = context.active();
  if (!trace.getSpan(parent)) return undefined;
  const operation = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
  return tracer.startSpan(
    `${operation} ${service}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'db.system.name': dialect,
        'db.query.text': sanitizeSql(sql),
        'db.operation.name': operation,
        'azora.service': service,
      },
    },
    parent,
  );
}

/** Ends a SQL span, marking it failed when the statement failed. */
export function endSqlSpan(span: Span | undefined, error?: unknown): void {
  if (!span) return;
  if (error)
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

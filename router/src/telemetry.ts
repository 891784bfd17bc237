import { context, propagation, trace } from '@opentelemetry/api';

/** Puts the active trace context (`traceparent`) into a subgraph request's headers, so its spans join the trace. */
export function injectTraceContext(headers: { set(name: string, value: string): void }): void {
  propagation.inject(context.active(), headers, { set: (carrier, key, value) => carrier.set(key, value) });
}

/** Adds attributes to the active span, if one is being recorded: what a trace should say about work done elsewhere. */
export function annotateActiveSpan(attributes: Record<string, string | number | boolean>): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

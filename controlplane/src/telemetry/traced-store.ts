// The Postgres hop in a trace: each Store operation called inside a traced call (an API request,
// a callback delivery) becomes a client span. Wrapping the Store port, not the pg driver, works
// under ESM without loader hooks and names spans after what they do, not their SQL.
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Store } from "../store/store.js";
import { tracer } from "./tracing.js";

export function tracedStore(store: Store): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        // Scheduler loops run outside any trace: their store calls would each start one.
        if (!trace.getActiveSpan()) return (value as (...a: unknown[]) => unknown).apply(target, args);
        const attributes = { "db.system.name": "postgresql", "db.operation.name": String(name) };
        return tracer().startActiveSpan(`store.${String(name)}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (e) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
            throw e;
          } finally {
            span.end();
          }
        });
      };
    },
  });
}

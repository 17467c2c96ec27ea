// Server interceptors: request validation from the proto's buf.validate rules, error mapping,
// and one span per call.
import { createValidator } from "@bufbuild/protovalidate";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { SpanStatusCode, context, propagation, trace } from "@opentelemetry/api";
import type { Logger } from "pino";
import type { Metrics } from "../telemetry/metrics.js";
import { toConnectError } from "./errors.js";

const validator = createValidator();

/** Every violation of a buf.validate rule is INVALID_ARGUMENT naming the field. */
export const validationInterceptor: Interceptor = (next) => async (req) => {
  if (!req.stream) {
    const result = validator.validate(req.method.input, req.message);
    if (result.kind === "invalid") {
      const fields = result.error.violations.map((v) => v.toString()).join("; ");
      throw new ConnectError(`invalid request: ${fields}`, Code.InvalidArgument);
    }
    if (result.kind === "error") throw new ConnectError(`cannot validate request: ${result.error.message}`, Code.Internal);
  }
  return next(req);
};

/** Maps thrown errors to Connect codes and logs unexpected ones. */
export function errorInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      const err = toConnectError(e);
      if (err.code === Code.Internal || err.code === Code.Unknown) {
        logger.error({ err: e, method: req.method.name }, "request failed");
      }
      throw err;
    }
  };
}

/** One server span per call, continuing the caller's W3C trace context. */
export const tracingInterceptor: Interceptor = (next) => async (req) => {
  const carrier: Record<string, string> = {};
  req.header.forEach((value, key) => (carrier[key] = value));
  const parent = propagation.extract(context.active(), carrier);
  const tracer = trace.getTracer("taskplane");
  return tracer.startActiveSpan(`${req.service.typeName}/${req.method.name}`, { kind: 1 }, parent, async (span) => {
    try {
      return await next(req);
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      span.end();
    }
  });
};

/** Counts calls by method and status code (outside the error mapping, so codes are final). */
export function metricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const stopTimer = metrics.apiDuration.startTimer({ method: req.method.name });
    let code = "ok";
    try {
      return await next(req);
    } catch (e) {
      code = Code[ConnectError.from(e).code]!;
      throw e;
    } finally {
      stopTimer();
      metrics.apiRequests.inc({ method: req.method.name, code });
    }
  };
}

// The gRPC transport and the one interceptor that retries transient failures.
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { context, propagation } from "@opentelemetry/api";
import { codecInterceptor, type PayloadCodec } from "../payload-codec.js";
import { WideWindowSessions } from "./wide-window-sessions.js";

/** Codes worth retrying: the call did not take effect, or the server asked us to slow down. */
export const RETRYABLE_CODES: readonly Code[] = [Code.Unavailable, Code.ResourceExhausted];

export interface RetryOptions {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 5_000 };

/** Retries unary calls that failed with a retryable code, with exponential backoff and full jitter. */
export function retryInterceptor(options: RetryOptions = DEFAULT_RETRY): Interceptor {
  return (next) => async (req) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (e) {
        const err = ConnectError.from(e);
        if (req.stream || attempt >= options.maxAttempts || !RETRYABLE_CODES.includes(err.code) || req.signal.aborted) throw err;
        await new Promise((r) => setTimeout(r, backoffMs(err, attempt, options)));
      }
    }
  };
}

/** The server's retry-after hint when it gave one (a rate limit), else full-jitter exponential backoff. */
function backoffMs(err: ConnectError, attempt: number, options: RetryOptions): number {
  const hinted = Number(err.metadata.get("retry-after-ms") ?? NaN);
  if (Number.isFinite(hinted)) return hinted;
  return Math.random() * Math.min(options.maxBackoffMs, options.initialBackoffMs * 2 ** (attempt - 1));
}

/** Sends `authorization: Bearer <token>` with every call; the token is read per call, so it can rotate. */
function bearerInterceptor(token: string | (() => string | Promise<string>)): Interceptor {
  return (next) => async (req) => {
    req.header.set("authorization", `Bearer ${typeof token === "function" ? await token() : token}`);
    return next(req);
  };
}

/** Sends the active OpenTelemetry context (W3C traceparent) with every call. */
export const traceContextInterceptor: Interceptor = (next) => (req) => {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  for (const [key, value] of Object.entries(carrier)) req.header.set(key, value);
  return next(req);
};

export interface ConnectionOptions {
  /**
   * The control plane's URL, e.g. http://127.0.0.1:7070, or several replicas' URLs: calls go to
   * one until it is unavailable, then fail over to the next.
   */
  address: string | string[];
  retry?: RetryOptions;
  /** A bearer token, or a function returning the current one [TASKPLANE_TOKEN from the environment]. */
  token?: string | (() => string | Promise<string>);
  /**
   * For https addresses: the CA that signed the server's certificate (when not a public one), and
   * this client's certificate and key when the server asks for one (mutual TLS).
   */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  /** Encodes payloads before they are sent and decodes them on their way back, e.g. aesGcmCodec for end-to-end encryption. */
  codec?: PayloadCodec;
  /** Extra interceptors. */
  interceptors?: Interceptor[];
}

export function createTransport(options: ConnectionOptions): Transport {
  const addresses = typeof options.address === "string" ? [options.address] : options.address;
  if (addresses.length === 0) throw new Error("createTransport: give at least one address");
  const token = options.token ?? process.env.TASKPLANE_TOKEN;
  const auth = token ? [bearerInterceptor(token)] : [];
  const codec = options.codec ? [codecInterceptor(options.codec)] : [];
  const transports = addresses.map((baseUrl) =>
    createGrpcTransport({
      baseUrl,
      sessionManager: new WideWindowSessions(baseUrl, options.tls),
      // The codec is outermost, so a retried call sends the same ciphertext.
      interceptors: [...codec, traceContextInterceptor, retryInterceptor(options.retry), ...auth, ...(options.interceptors ?? [])],
    }),
  );
  return transports.length === 1 ? transports[0]! : failoverTransport(transports);
}

/** Sends each call to the current replica; when it is unavailable, moves on to the next and tries there. */
function failoverTransport(transports: Transport[]): Transport {
  let current = 0;
  async function call<R>(send: (t: Transport) => Promise<R>): Promise<R> {
    for (let tried = 1; ; tried++) {
      const index = current;
      try {
        return await send(transports[index]!);
      } catch (e) {
        if (ConnectError.from(e).code !== Code.Unavailable || tried >= transports.length) throw e;
        if (current === index) current = (index + 1) % transports.length;
      }
    }
  }
  return {
    unary: (...args) => call((t) => t.unary(...args)),
    stream: (...args) => call((t) => t.stream(...args)),
  };
}

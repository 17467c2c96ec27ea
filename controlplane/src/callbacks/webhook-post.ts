// One POST to a callback receiver, pinned to the address the guard checked. Redirects are not
// followed, and only a short prefix of the response is read.
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { ResolvedAddress } from "./address-guard.js";
import { parseRetryAfter, type PostResult } from "./delivery-outcome.js";

const RESPONSE_PREFIX_BYTES = 256;

export function postWebhook(url: URL, to: ResolvedAddress[], headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  const latencyMs = () => Math.round(performance.now() - started);
  // Node asks for all addresses when it races IPv4 and IPv6: answer with the checked ones either way.
  const lookup = ((_host: string, options: { all?: boolean }, done: (...args: unknown[]) => void) =>
    options.all ? done(null, to) : done(null, to[0]!.address, to[0]!.family)) as unknown as LookupFunction;
  const send = url.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve) => {
    const req = send(url, {
      method: "POST",
      lookup,
      // A pooled keep-alive socket is keyed by host and port, not by the address checked: never reuse one.
      agent: false,
      headers: { "content-type": "application/json", "user-agent": "Taskplane-Webhooks/1", ...headers, "content-length": Buffer.byteLength(body) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        res.destroy();
        const statusCode = res.statusCode ?? 0;
        const redirect = statusCode >= 300 && statusCode < 400;
        resolve({
          statusCode,
          latencyMs: latencyMs(),
          retryAfterMs: statusCode === 429 || statusCode === 503 ? parseRetryAfter(res.headers["retry-after"], new Date()) : undefined,
          error: redirect ? `redirect to ${res.headers.location ?? "nowhere"} not followed` : statusCode >= 300 ? `HTTP ${statusCode}` : undefined,
          responsePrefix: printable(Buffer.concat(chunks).subarray(0, RESPONSE_PREFIX_BYTES).toString("utf8")) || undefined,
        });
      };
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_PREFIX_BYTES) finish();
      });
      res.on("end", finish);
      res.on("error", finish);
    });
    req.on("error", (e) => resolve({ statusCode: 0, latencyMs: latencyMs(), error: e.name === "AbortError" || e.name === "TimeoutError" ? `no response within ${timeoutMs} ms` : e.message }));
    req.end(body);
  });
}

/** Control characters (NUL above all, which Postgres jsonb refuses) become U+FFFD: a binary body cannot break the record. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "\ufffd");
}

// HTTP/2 sessions that let the control plane send a whole poll response at once. HTTP/2 starts
// every connection and stream with a 64 KiB receive window, and Node never widens it: a poll
// answering 500 runs (~100 KB) would stall after 64 KiB until this process, busy starting the
// runs it already has, reads them and sends WINDOW_UPDATE. gRPC-Go widens its windows the same way.
import type http2 from "node:http2";
import { Http2SessionManager } from "@connectrpc/connect-node";

/** Receive window per stream: a whole poll response or report batch. */
export const STREAM_WINDOW_BYTES = 4 << 20;
/** Receive window per connection, shared by its streams (poll, heartbeats, reports, logs). */
export const CONNECTION_WINDOW_BYTES = 16 << 20;

export class WideWindowSessions extends Http2SessionManager {
  private readonly widened = new WeakSet<http2.Http2Session>();

  constructor(url: string, nodeOptions: http2.ClientSessionOptions | http2.SecureClientSessionOptions = {}) {
    super(url, undefined, { ...nodeOptions, settings: { ...nodeOptions.settings, initialWindowSize: STREAM_WINDOW_BYTES } });
  }

  override async request(...args: Parameters<Http2SessionManager["request"]>): Promise<http2.ClientHttp2Stream> {
    const stream = await super.request(...args);
    const session = stream.session;
    // The first request on a new connection widens it; the WINDOW_UPDATE goes out before the request's response.
    if (session && !this.widened.has(session)) {
      this.widened.add(session);
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    }
    return stream;
  }
}

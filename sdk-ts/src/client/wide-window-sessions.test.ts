// The SDK's HTTP/2 connections announce wide receive windows, so a control plane can send a whole
// poll response without waiting for this process to read the first 64 KiB.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONNECTION_WINDOW_BYTES, STREAM_WINDOW_BYTES, WideWindowSessions } from "./wide-window-sessions.js";

describe("WideWindowSessions", () => {
  const seen: { streamWindow?: number; connectionWindow: number }[] = [];
  let server: http2.Http2Server;
  let url: string;
  beforeAll(async () => {
    server = http2.createServer();
    server.on("stream", (stream) => {
      // How much this server may send: the client's stream window, and its connection window.
      seen.push({ streamWindow: stream.session!.remoteSettings.initialWindowSize, connectionWindow: stream.session!.state.remoteWindowSize! });
      stream.respond({ ":status": 200 });
      stream.end(Buffer.alloc(1 << 20));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  let session: http2.ClientHttp2Session | undefined;
  async function fetchOnce(sessions: WideWindowSessions): Promise<number> {
    const stream = await sessions.request("GET", "/", {}, {});
    session = stream.session as http2.ClientHttp2Session;
    let bytes = 0;
    stream.on("data", (d: Buffer) => (bytes += d.length));
    await new Promise((r) => stream.on("end", r));
    return bytes;
  }

  it("announces a wide stream window, and widens the connection's on its first request", async () => {
    const sessions = new WideWindowSessions(url);
    try {
      expect(await fetchOnce(sessions)).toBe(1 << 20);
      // The second request is seen after the first one's WINDOW_UPDATE, which was sent before it.
      expect(await fetchOnce(sessions)).toBe(1 << 20);
      expect(seen[0]!.streamWindow).toBe(STREAM_WINDOW_BYTES);
      expect(seen[1]!.connectionWindow).toBeGreaterThan(CONNECTION_WINDOW_BYTES - (2 << 20));
      expect(seen[1]!.connectionWindow).toBeGreaterThan(65_535);
    } finally {
      session?.close();
    }
  });
});

// The control plane announces wide HTTP/2 receive windows, so a batch of new tasks or results
// arrives whole rather than 64 KiB at a time behind WINDOW_UPDATE round trips.
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json } from "@taskplane/sdk";
import { startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("HTTP/2 flow control", () => {
  let tp: TestControlPlane;
  beforeAll(async () => {
    tp = await startTestControlPlane();
  });
  afterAll(() => tp.stop());

  it("lets a client send 1 MiB per stream and 4 MiB per connection before it must wait", async () => {
    const session = http2.connect(tp.address);
    try {
      await new Promise((r) => session.once("remoteSettings", r));
      expect(session.remoteSettings.initialWindowSize).toBe(1 << 20);
      // The connection window's WINDOW_UPDATE follows the settings; a ping round trip makes sure it has arrived.
      await new Promise((r) => session.ping(r));
      expect(session.state.remoteWindowSize).toBe(4 << 20);
    } finally {
      session.close();
    }
  });

  it("takes a batch of 1,000 tasks (~300 KB, several windows of the defaults) in one request", async () => {
    const tasks = Array.from({ length: 1_000 }, (_, i) => ({ type: "flow.big", payload: json({ i, pad: "x".repeat(200) }) }));
    const created = await tp.client.createTasks(tasks);
    expect(created).toHaveLength(1_000);
  });
});

import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { localStart, ServerClock, startGate } from "./start-times.js";

describe("ServerClock", () => {
  it("takes the clocks to agree while answers arrive after the server's time on them", () => {
    const clock = new ServerClock();
    expect(clock.observe(timestampFromMs(1_000), 1_010)).toBe(0);
    expect(clock.observe(timestampFromMs(2_000), 2_090)).toBe(0); // a slow delivery changes nothing
  });

  it("follows a server whose clock is ahead, through the least offset in its window", () => {
    const clock = new ServerClock(2);
    expect(clock.observe(timestampFromMs(60_000), 1_002)).toBe(-58_998); // a fast delivery
    expect(clock.observe(timestampFromMs(61_000), 2_050)).toBe(-58_998); // a slow one does not move it
    const offset = clock.observe(timestampFromMs(62_000), 3_030); // the fast one left the window
    expect(offset).toBe(-58_970);
    expect(localStart(timestampFromMs(62_250), offset)).toBe(3_280);
  });
});

describe("localStart", () => {
  it("is undefined without a start time or a server time", () => {
    expect(localStart(undefined, 5)).toBeUndefined();
    expect(localStart(timestampFromMs(1_000), undefined)).toBeUndefined();
  });
});

describe("startGate", () => {
  it("is undefined for a time that has come", () => {
    expect(startGate(undefined)).toBeUndefined();
    expect(startGate(Date.now() - 1)).toBeUndefined();
  });

  it("shares one gate per instant and opens it no earlier than that instant", async () => {
    const at = Date.now() + 50;
    const gate = startGate(at);
    expect(gate).toBeDefined();
    expect(startGate(at)).toBe(gate);
    expect(startGate(at + 5)).not.toBe(gate);
    await gate;
    expect(Date.now()).toBeGreaterThanOrEqual(Math.ceil(at));
  });
});

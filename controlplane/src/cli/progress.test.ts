import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { startProgress } from "./progress.js";

/** A stream that collects what is written, posing as a terminal or not. */
function stream(isTTY: boolean) {
  let text = "";
  const s = new Writable({ write: (chunk, _enc, done) => ((text += chunk.toString()), done()) }) as Writable & { isTTY: boolean; columns: number; cursorTo(): boolean; clearLine(): boolean; moveCursor(): boolean };
  Object.assign(s, { isTTY, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream: s as unknown as NodeJS.WriteStream, text: () => text };
}

describe("progress", () => {
  it("draws a bar on a terminal", () => {
    const out = stream(true);
    const progress = startProgress("creating", 4, "table", out.stream);
    progress.update(4, "4/4 tasks created");
    progress.stop();
    expect(out.text()).toMatch(/creating \[[^\]]+\] 100% \| 4\/4 tasks created/);
  });

  it("draws nothing off a terminal or with JSON output", () => {
    for (const [isTTY, output] of [[false, "table"], [true, "json"]] as const) {
      const out = stream(isTTY);
      const progress = startProgress("creating", 4, output, out.stream);
      progress.update(4);
      progress.stop();
      expect(out.text()).toBe("");
    }
  });
});

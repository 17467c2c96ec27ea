import { describe, expect, it } from "vitest";
import { ResourceExhaustedError } from "../domain/errors.js";
import { OpenPolls } from "./open-polls.js";

describe("OpenPolls", () => {
  it("refuses a worker's poll over its cap, and a namespace's over its cap, until one leaves", () => {
    const polls = new OpenPolls({ perWorker: 2, perNamespace: 3 });
    polls.enter("w1", "blue");
    polls.enter("w1", "blue");
    expect(() => polls.enter("w1", "blue")).toThrow(/worker w1 already has 2 polls waiting/);
    polls.enter("w2", "blue");
    expect(() => polls.enter("w3", "blue")).toThrow(ResourceExhaustedError);
    expect(() => polls.enter("w3", "blue")).toThrow(/namespace blue already has 3 polls/);
    // Other namespaces have their own allowance; a refused poll took none.
    polls.enter("w3", "red");
    polls.leave("w1", "blue");
    polls.enter("w3", "blue");
    polls.leave("w1", "blue");
    polls.enter("w1", "blue");
    expect(() => polls.enter("w1", "blue")).toThrow(/namespace blue/);
  });
});

import { describe, expect, it } from "vitest";
import { CommanderError } from "commander";
import { Code, ConnectError } from "@connectrpc/connect";
import { describeFailure, EXIT, UsageError } from "./exit-codes.js";

describe("exit codes", () => {
  it("give API errors their code and one line, with a hint where one helps", () => {
    expect(describeFailure(new ConnectError("task 1 not found", Code.NotFound))).toEqual({ exitCode: EXIT.NOT_FOUND, message: "taskplane: not found: task 1 not found" });
    expect(describeFailure(new ConnectError("no bearer token", Code.Unauthenticated)).message).toBe("taskplane: unauthenticated: no bearer token (pass --token or set TASKPLANE_TOKEN)");
    expect(describeFailure(new ConnectError("a\n  b", Code.PermissionDenied))).toEqual({ exitCode: EXIT.PERMISSION_DENIED, message: "taskplane: permission denied: a; b" });
    expect(describeFailure(new ConnectError("x", Code.FailedPrecondition)).exitCode).toBe(EXIT.CONFLICT);
    expect(describeFailure(new ConnectError("x", Code.Internal))).toEqual({ exitCode: EXIT.ERROR, message: "taskplane: Internal: x" });
  });

  it("tell usage errors from everything else", () => {
    expect(describeFailure(new UsageError("--in: bad"))).toEqual({ exitCode: EXIT.USAGE, message: "taskplane: --in: bad (see --help)" });
    expect(describeFailure(new CommanderError(1, "commander.unknownOption", "unknown option")).exitCode).toBe(EXIT.USAGE);
    expect(describeFailure(new CommanderError(0, "commander.helpDisplayed", "")).exitCode).toBe(EXIT.OK);
    expect(describeFailure(new Error("boom"))).toEqual({ exitCode: EXIT.ERROR, message: "taskplane: boom" });
  });
});

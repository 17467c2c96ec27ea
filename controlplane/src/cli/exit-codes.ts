// The exit codes scripts can rely on, and the one line a failure prints. docs/cli.md has the table.
import { CommanderError } from "commander";
import { Code, ConnectError } from "@connectrpc/connect";

export const EXIT = {
  OK: 0,
  /** Anything not listed below: an internal error of the server, an unexpected failure here. */
  ERROR: 1,
  /** The command line itself is wrong: an unknown flag, a missing argument, a value that does not parse. */
  USAGE: 2,
  NOT_FOUND: 3,
  UNAUTHENTICATED: 4,
  PERMISSION_DENIED: 5,
  INVALID_ARGUMENT: 6,
  /** The thing is not in a state that allows it (FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED). */
  CONFLICT: 7,
  /** The control plane could not be reached or did not answer in time (UNAVAILABLE, DEADLINE_EXCEEDED). */
  UNAVAILABLE: 8,
  /** A rate limit or quota (RESOURCE_EXHAUSTED). */
  RESOURCE_EXHAUSTED: 9,
  /** Ctrl-C (SIGINT): 128 + 2, as shells report it. */
  INTERRUPTED: 130,
} as const;

/** For the API commands' --help. */
export const EXIT_CODES_HELP =
  "\nExit codes: 0 ok, 1 other error, 2 wrong command line, 3 not found, 4 unauthenticated, 5 permission denied,\n" +
  "6 invalid argument, 7 failed precondition, 8 unavailable, 9 resource exhausted, 130 interrupted (docs/cli.md).";

/** A mistake on the command line, found before anything was sent. */
export class UsageError extends Error {
  override name = "UsageError";
}

const API_ERRORS: Partial<Record<Code, { exit: number; label: string; hint?: string }>> = {
  [Code.NotFound]: { exit: EXIT.NOT_FOUND, label: "not found" },
  [Code.Unauthenticated]: { exit: EXIT.UNAUTHENTICATED, label: "unauthenticated", hint: "pass --token or set TASKPLANE_TOKEN" },
  [Code.PermissionDenied]: { exit: EXIT.PERMISSION_DENIED, label: "permission denied" },
  [Code.InvalidArgument]: { exit: EXIT.INVALID_ARGUMENT, label: "invalid argument" },
  [Code.OutOfRange]: { exit: EXIT.INVALID_ARGUMENT, label: "out of range" },
  [Code.FailedPrecondition]: { exit: EXIT.CONFLICT, label: "failed precondition" },
  [Code.AlreadyExists]: { exit: EXIT.CONFLICT, label: "already exists" },
  [Code.Aborted]: { exit: EXIT.CONFLICT, label: "aborted" },
  [Code.Unavailable]: { exit: EXIT.UNAVAILABLE, label: "unavailable", hint: "is the control plane running at --server / TASKPLANE_SERVER?" },
  [Code.DeadlineExceeded]: { exit: EXIT.UNAVAILABLE, label: "deadline exceeded" },
  [Code.ResourceExhausted]: { exit: EXIT.RESOURCE_EXHAUSTED, label: "resource exhausted" },
};

/** What to print (one line, no stack) and which code to exit with, for anything a command threw. */
export function describeFailure(e: unknown): { exitCode: number; message: string } {
  if (e instanceof CommanderError) return { exitCode: e.exitCode === 0 ? EXIT.OK : EXIT.USAGE, message: "" };
  if (e instanceof UsageError) return { exitCode: EXIT.USAGE, message: `taskplane: ${e.message} (see --help)` };
  if (e instanceof ConnectError) {
    const known = API_ERRORS[e.code];
    const text = oneLine(e.rawMessage);
    if (!known) return { exitCode: EXIT.ERROR, message: `taskplane: ${Code[e.code] ?? "error"}: ${text}` };
    return { exitCode: known.exit, message: `taskplane: ${known.label}: ${text}${known.hint ? ` (${known.hint})` : ""}` };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { exitCode: EXIT.ERROR, message: `taskplane: ${oneLine(message)}` };
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, "; ").trim();

import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { NotFoundError, ResourceExhaustedError } from "../domain/errors.js";
import { toConnectError } from "./errors.js";

const pgError = (code: string) => Object.assign(new Error("from postgres"), { code });

describe("toConnectError", () => {
  it("makes a deadlock or serialization victim and a lost database retryable (UNAVAILABLE)", () => {
    for (const code of ["40P01", "40001", "57P01", "ECONNREFUSED"]) expect(toConnectError(pgError(code)).code, code).toBe(Code.Unavailable);
  });

  it("maps domain errors to their codes, with a retry hint for limits, and hides anything else", () => {
    expect(toConnectError(new NotFoundError("task x not found")).code).toBe(Code.NotFound);
    const limited = toConnectError(new ResourceExhaustedError("slow down", 1_500));
    expect([limited.code, limited.metadata.get("retry-after-ms"), limited.metadata.get("retry-after")]).toEqual([Code.ResourceExhausted, "1500", "2"]);
    const hidden = toConnectError(pgError("23505"));
    expect([hidden.code, hidden.rawMessage]).toEqual([Code.Internal, "internal error"]);
  });
});

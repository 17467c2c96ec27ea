import { describe, expect, it } from "vitest";
import { NotFoundError, PermissionDeniedError } from "./errors.js";
import { Scope } from "./scope.js";

describe("Scope", () => {
  const team = Scope.of(["blue", "green"]);

  it("sees only its namespaces, and answers NOT_FOUND for the rest", () => {
    expect(team.see({ ns: "blue" }, (t) => t.ns, "gone")).toEqual({ ns: "blue" });
    expect(() => team.see({ ns: "red" }, (t) => t.ns, "task x not found")).toThrow(NotFoundError);
    expect(() => team.see(undefined, (t: { ns: string }) => t.ns, "task x not found")).toThrow(NotFoundError);
  });

  it("filters lists to a requested namespace in scope, or to all of its own", () => {
    expect(team.filter()).toEqual(["blue", "green"]);
    expect(team.filter("green")).toEqual(["green"]);
    expect(() => team.filter("red")).toThrow(PermissionDeniedError);
    expect(Scope.all.filter()).toBeUndefined();
    expect(Scope.of(["*"]).includes("anything")).toBe(true);
  });
});

// The monitoring in deploy/ stays true to the control plane: Prometheus accepts the config and
// rules and the alerts pass their unit tests (promtool), and every metric the dashboard and the
// alerts use is one the control plane exports.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Metrics } from "../controlplane/src/telemetry/metrics.js";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function promtool(...args: string[]): string {
  try {
    return execFileSync("promtool", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (err.code === "ENOENT") throw new Error("promtool is missing; install it with: apt-get install -y prometheus");
    throw new Error(`promtool ${args.join(" ")} failed:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  }
}

/** Metric names a PromQL text uses, with histogram and counter suffixes taken back to the family. */
function metricsUsed(text: string): Set<string> {
  return new Set([...text.matchAll(/taskplane_[a-z0-9_]+/g)].map(([m]) => m.replace(/_(bucket|count|sum)$/, "")));
}

describe("deploy/ monitoring", () => {
  it("has a Prometheus config and alert rules promtool accepts, and alert tests that pass", () => {
    expect(promtool("check", "config", here("prometheus/prometheus.yml"))).toContain("SUCCESS");
    expect(promtool("check", "rules", here("prometheus/alerts.yml"))).toContain("SUCCESS");
    expect(promtool("test", "rules", here("prometheus/alerts.test.yml"))).toContain("SUCCESS");
  });

  it("uses only metrics the control plane exports", async () => {
    const metrics = new Metrics(async () => ({ runsByState: [], queueDepth: [], activeWorkers: 0 }));
    const exported = new Set([...(await metrics.render()).body.matchAll(/^# HELP (\S+)/gm)].map((m) => m[1]!));
    const used = new Set([
      ...metricsUsed(readFileSync(here("grafana/dashboards/taskplane.json"), "utf8")),
      ...metricsUsed(readFileSync(here("prometheus/alerts.yml"), "utf8")),
    ]);
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});

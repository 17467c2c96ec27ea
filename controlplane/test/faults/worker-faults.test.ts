// A worker process killed mid-run (SIGKILL): its attempt times out after the heartbeat timeout and
// the run is retried on another worker, ending with one successful attempt.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttemptOutcome, RunState } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "../harness/control-plane.js";

describe("worker faults", () => {
  let tp: TestControlPlane;
  beforeAll(async () => {
    tp = await startTestControlPlane();
  });
  afterAll(() => tp.stop());

  it("retries on another worker the run of a worker killed mid-run", async () => {
    const script = fileURLToPath(new URL("./fixtures/stuck-worker.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      env: { ...process.env, TASKPLANE_ADDRESS: tp.address },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((r) => child.once("exit", r));
    try {
      const { firstRun } = await tp.client.createTask({
        type: "fault.slow",
        timeouts: { heartbeat: { seconds: 1n } },
        retryPolicy: { initialBackoff: { nanos: 10_000_000 } },
      });
      await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.RUNNING && r.attempts[0]?.workerId === "stuck");
      child.kill("SIGKILL");
      await exited;
      tp.worker({ workerId: "healthy", handlers: { "fault.slow": async () => "done" } });
      const run = await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
      expect(run.attempts.map((a) => [a.workerId, a.outcome])).toEqual([
        ["stuck", AttemptOutcome.TIMED_OUT],
        ["healthy", AttemptOutcome.SUCCEEDED],
      ]);
      expect(run.attempts[0]!.error!.type).toBe("HeartbeatTimeout");
    } finally {
      child.kill("SIGKILL");
    }
  });
});

// The quickstart scenario: a one-time, a delayed, a cron-every-2-seconds and a manual task,
// a trigger, and the runs they produced. run.ts prints it; quickstart.e2e.test.ts asserts it.
import { json, RunState, schedules, TaskplaneClient, type Run } from "@taskplane/sdk";

export interface QuickstartResult {
  oneTime: Run;
  delayed: Run;
  manual: Run;
  cronRuns: Run[];
}

/** Polls until the run is finished (or the deadline passes) and returns it. */
export async function waitForRun(client: TaskplaneClient, runId: string, timeoutMs = 20_000): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.getRun(runId);
    if (run.state >= RunState.SUCCEEDED || Date.now() > deadline) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runQuickstart(client: TaskplaneClient, log: (line: string) => void = () => {}): Promise<QuickstartResult> {
  const oneTime = await client.createTask({ type: "hello.greet", payload: json({ name: "one-time" }) });
  log(`created one-time task ${oneTime.task!.id}`);
  const delayed = await client.createTask({ type: "hello.greet", payload: json({ name: "delayed" }), schedule: schedules.after(1_500) });
  log(`created delayed task ${delayed.task!.id} (fires in 1.5 s)`);
  const cron = await client.createTask({ type: "clock.tick", schedule: schedules.cron("*/2 * * * * *") });
  log(`created cron task ${cron.task!.id} (every 2 s), first fire at ${cron.firstRun!.scheduledTime ? new Date(Number(cron.firstRun!.scheduledTime.seconds) * 1000).toISOString() : "?"}`);
  const manual = await client.createTask({ type: "hello.greet", payload: json({ name: "manual" }), schedule: schedules.manual() });
  const triggered = await client.trigger(manual.task!.id);
  log(`created manual task ${manual.task!.id} and triggered run ${triggered.id}`);

  const [oneTimeRun, delayedRun, manualRun] = await Promise.all([
    waitForRun(client, oneTime.firstRun!.id),
    waitForRun(client, delayed.firstRun!.id),
    waitForRun(client, triggered.id),
  ]);
  // Let the cron task fire a few times, then stop it.
  await new Promise((r) => setTimeout(r, 4_500));
  await client.cancel(cron.task!.id, { reason: "quickstart finished" });
  const { runs: cronRuns } = await client.runs({ taskId: cron.task!.id });
  return { oneTime: oneTimeRun, delayed: delayedRun, manual: manualRun, cronRuns };
}

// Creates two tasks (the quickstart worker's) whose outcomes are POSTed to `url`: a greeting that
// succeeds, and a validation that fails without retrying.
import { CallbackEvent, json, type TaskplaneClient } from "@taskplane/sdk";

export async function submitWithCallback(client: TaskplaneClient, url: string) {
  const events = [CallbackEvent.RUN_SUCCEEDED, CallbackEvent.RUN_FAILED];
  const ok = await client.createTask({ type: "hello.greet", payload: json({ name: "callbacks" }), callback: { url, events } });
  const failing = await client.createTask({ type: "strict.validate", payload: json({ ok: false }), callback: { url, events } });
  return { succeedingRun: ok.firstRun!, failingRun: failing.firstRun! };
}

// Submits the quickstart's tasks and prints what happened. Run: npx tsx examples/quickstart/run.ts
import { decodePayload, RunState, TaskplaneClient, type Run } from "@taskplane/sdk";
import { runQuickstart } from "./quickstart.js";

const client = new TaskplaneClient({ address: (process.env.TASKPLANE_ADDRESS ?? "http://127.0.0.1:7070").split(",") });
const result = await runQuickstart(client, console.log);

const show = (label: string, run: Run) =>
  console.log(`${label.padEnd(9)} ${RunState[run.state].padEnd(9)} attempts=${run.attempt} output=${JSON.stringify(decodePayload(run.output))}`);
show("one-time", result.oneTime);
show("delayed", result.delayed);
show("manual", result.manual);
for (const run of result.cronRuns) show("cron", run);

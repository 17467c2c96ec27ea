// Submits tasks whose outcomes are POSTed to the receiver (examples/callbacks/receiver.ts).
// Run: npx tsx examples/callbacks/run.ts (with `taskplane dev`, the quickstart worker and the receiver running)
import { TaskplaneClient } from "@taskplane/sdk";
import { submitWithCallback } from "./submit-with-callback.js";

const client = new TaskplaneClient({ address: process.env.TASKPLANE_ADDRESS ?? "http://127.0.0.1:7070" });
const { succeedingRun, failingRun } = await submitWithCallback(client, process.env.CALLBACK_URL ?? "http://127.0.0.1:8787/taskplane");
console.log(`submitted runs ${succeedingRun.id} (succeeds) and ${failingRun.id} (fails): watch the receiver`);

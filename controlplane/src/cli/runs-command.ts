// `taskplane runs …`: list and read runs, and print (or follow) a run's logs.
import { Command, Option } from "commander";
import { toJson } from "@bufbuild/protobuf";
import { RunState } from "@taskplane/sdk";
import type { LogEntry } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { apiAction, apiCommand, type Api } from "./api-connection.js";
import { EXIT, UsageError } from "./exit-codes.js";
import { enumNames, parseDuration, parseEnum, parseTime } from "./flag-values.js";
import { formatTime } from "./format.js";
import { printList, printOne } from "./output.js";
import { addLimitOption, collectPages, limitOf } from "./paging.js";
import { logView, runView } from "./views.js";

const FINISHED: readonly RunState[] = [RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED, RunState.TIMED_OUT, RunState.SKIPPED];
const LOG_PAGE = 1_000;

export function runsCommand(): Command {
  const runs = new Command("runs").description("read runs and their logs");

  apiAction<ListFlags>(
    addLimitOption(
      apiCommand(runs, "list", "list runs, the most recently created first (not in scheduled-time order)")
        .option("--task <task-id>", "only runs of this task")
        .addOption(new Option("--state <state>", "only runs in this state").choices(enumNames(RunState)))
        .option("--scheduled-from <time>", "only runs scheduled at or after this time (ISO 8601; UTC unless it has an offset)")
        .option("--scheduled-to <time>", "only runs scheduled at or before this time"),
    ),
    listRuns,
  );

  apiAction(apiCommand(runs, "get <run-id>", "show a run with every attempt"), async (api, _flags, [runId]) => {
    printOne(api.output, runView, await api.client.getRun(runId!));
  });

  apiAction<{ follow?: boolean; interval: string }>(
    apiCommand(runs, "logs <run-id>", "print the lines a run's handler logged")
      .option("-f, --follow", "keep printing new lines until the run finishes (JSON: one entry per line)")
      .option("--interval <duration>", "how often --follow asks for new lines", "1s"),
    async (api, flags, [runId]) => (flags.follow ? followLogs(api, runId!, parseDuration("--interval", flags.interval)) : printLogs(api, runId!)),
  );

  return runs;
}

interface ListFlags {
  task?: string;
  state?: string;
  scheduledFrom?: string;
  scheduledTo?: string;
  limit: string;
}

async function listRuns(api: Api, flags: ListFlags) {
  const scheduledFrom = flags.scheduledFrom === undefined ? undefined : parseTime("--scheduled-from", flags.scheduledFrom);
  const scheduledTo = flags.scheduledTo === undefined ? undefined : parseTime("--scheduled-to", flags.scheduledTo);
  if (scheduledFrom && scheduledTo && scheduledTo < scheduledFrom) throw new UsageError("--scheduled-to is before --scheduled-from");
  const filter = {
    namespace: api.namespace,
    taskId: flags.task,
    state: flags.state === undefined ? undefined : parseEnum("--state", flags.state, RunState),
    scheduledFrom,
    scheduledTo,
  };
  const items = await collectPages(limitOf(flags), async (pageSize, pageToken) => {
    const page = await api.client.runs({ ...filter, pageSize, pageToken });
    return { items: page.runs, nextPageToken: page.nextPageToken };
  });
  printList(api.output, runView, items);
}

async function printLogs(api: Api, runId: string) {
  const entries: LogEntry[] = [];
  await readLogs(api, runId, 0n, (page) => entries.push(...page));
  if (api.output === "json") printList(api.output, logView, entries);
  else entries.forEach(printLogLine);
}

/** Polls for new lines until the run is finished: its state is read before the last lines, so none is missed. */
async function followLogs(api: Api, runId: string, intervalMs: number) {
  process.once("SIGINT", () => process.exit(EXIT.INTERRUPTED));
  if (api.output === "table") process.stderr.write(`taskplane: following run ${runId} until it finishes (Ctrl-C stops)\n`);
  const print = api.output === "json" ? (e: LogEntry) => console.log(JSON.stringify(toJson(logView.schema, e))) : printLogLine;
  let after = 0n;
  for (;;) {
    const { state } = await api.client.getRun(runId);
    after = await readLogs(api, runId, after, (page) => page.forEach(print));
    if (FINISHED.includes(state)) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Reads every page after `after`, handing each to `onPage`; answers the last sequence read. */
async function readLogs(api: Api, runId: string, after: bigint, onPage: (entries: LogEntry[]) => void): Promise<bigint> {
  for (;;) {
    const { entries } = await api.client.service.listRunLogs({ runId, afterSequence: after, pageSize: LOG_PAGE });
    if (entries.length) {
      onPage(entries);
      after = entries.at(-1)!.sequence;
    }
    if (entries.length < LOG_PAGE) return after;
  }
}

function printLogLine(entry: LogEntry) {
  console.log(`${formatTime(entry.time)} [attempt ${entry.attempt}] ${entry.message}`);
}

// `taskplane tasks create`: one task from flags, or many from a JSON Lines file in batches.
import { readFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { fromJson, toJson, type MessageShape } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { duration, Priority, RunState, type TaskSpecInit } from "@taskplane/sdk";
import { TaskSpecSchema } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { CreateTaskResponseSchema } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import type { Api } from "./api-connection.js";
import { UsageError } from "./exit-codes.js";
import { enumNames, flagName, repeatable, parseCount, parseDuration, parseEnum, parseLabels } from "./flag-values.js";
import { enumName, formatTime } from "./format.js";
import { fieldsOf, printFields, printJson, printList } from "./output.js";
import { addPayloadOptions, payloadFromFlags, readStdin, type PayloadFlags } from "./payload-input.js";
import { startProgress } from "./progress.js";
import { addScheduleOptions, scheduleFromFlags, type ScheduleFlags } from "./schedule-flags.js";
import { taskView } from "./views.js";

export interface CreateFlags extends PayloadFlags, ScheduleFlags {
  type?: string;
  queue?: string;
  priority?: string;
  label: string[];
  idempotencyKey?: string;
  maxAttempts?: string;
  timeout?: string;
  fromFile?: string;
  batchSize: string;
}

export function addCreateOptions(cmd: Command): Command {
  cmd
    .option("--type <type>", "the handler name workers register, e.g. email.send (required without --from-file)")
    .option("--queue <queue>", "the queue its runs wait on [default]")
    .addOption(new Option("--priority <priority>", "order within the queue [normal]").choices(enumNames(Priority)))
    .option("--label <key=value>", "a label (repeatable)", repeatable, [])
    .option("--idempotency-key <key>", "creating twice with the same key returns the first task")
    .option("--max-attempts <n>", "attempts in all, including the first [3]")
    .option("--timeout <duration>", "the longest one attempt may run [1h]");
  addPayloadOptions(cmd);
  addScheduleOptions(cmd);
  return cmd
    .option("--from-file <file>", "create many: one TaskSpec in proto JSON per line (JSON Lines), - for stdin")
    .option("--batch-size <n>", "tasks per BatchCreateTasks call with --from-file, 1 to 1000", "500")
    .addHelpText("after", "\nWith no schedule flag the task is manual: it runs only when triggered (`tasks trigger`).");
}

export async function createTasks(api: Api, flags: CreateFlags): Promise<void> {
  if (flags.fromFile !== undefined) return createFromFile(api, flags);
  if (!flags.type) throw new UsageError("--type is required (or --from-file)");
  const spec: TaskSpecInit = {
    type: flags.type,
    queue: flags.queue,
    namespace: api.namespace,
    priority: flags.priority === undefined ? undefined : parseEnum("--priority", flags.priority, Priority),
    labels: parseLabels("--label", flags.label),
    idempotencyKey: flags.idempotencyKey,
    retryPolicy: flags.maxAttempts === undefined ? undefined : { maxAttempts: parseCount("--max-attempts", flags.maxAttempts, 1, 1000) },
    timeouts: flags.timeout === undefined ? undefined : { startToClose: duration(parseDuration("--timeout", flags.timeout)) },
    payload: await payloadFromFlags(flags),
    schedule: scheduleFromFlags(flags) ?? { kind: { case: "manual", value: {} } },
  };
  printCreated(api, await api.client.createTask(spec));
}

function printCreated(api: Api, res: MessageShape<typeof CreateTaskResponseSchema>) {
  if (api.output === "json") return printJson(toJson(CreateTaskResponseSchema, res));
  const fields = fieldsOf(taskView, res.task!);
  if (res.firstRun) fields.push(["first run", `${res.firstRun.id} (${enumName(RunState, res.firstRun.state)}, due ${formatTime(res.firstRun.dueTime)})`]);
  if (res.existing) fields.push(["existing", "yes: a task with this idempotency key was created before and is returned unchanged"]);
  printFields(fields);
}

const SINGLE_TASK_FLAGS = ["type", "queue", "priority", "idempotencyKey", "maxAttempts", "timeout", "payload", "payloadFile", "contentType", "cron", "tz", "at", "in", "every", "now", "start", "end", "overlap", "catchUp", "catchUpWindow", "catchUpMax", "jitter", "onMissingTime", "onRepeatedTime"] as const;

async function createFromFile(api: Api, flags: CreateFlags): Promise<void> {
  const given: string[] = SINGLE_TASK_FLAGS.filter((f) => flags[f] !== undefined);
  if (flags.label.length) given.push("label");
  if (given.length) throw new UsageError(`--from-file takes every task from its lines; drop ${given.map(flagName).join(", ")}`);
  const batchSize = parseCount("--batch-size", flags.batchSize, 1, 1000);
  const specs = parseTaskLines(flags.fromFile!, await readInput(flags.fromFile!), api.namespace);
  const progress = startProgress("creating", specs.length, api.output);
  const created: MessageShape<typeof CreateTaskResponseSchema>["task"][] = [];
  try {
    for (let i = 0; i < specs.length; i += batchSize) {
      const batch = await api.client.createTasks(specs.slice(i, i + batchSize)).catch((e: unknown) => {
        const err = ConnectError.from(e);
        throw new ConnectError(`${err.rawMessage} (in the batch of lines ${i + 1}-${Math.min(i + batchSize, specs.length)}; ${created.length} tasks before it were created, the rest were not sent)`, err.code);
      });
      created.push(...batch);
      progress.update(created.length, `${created.length}/${specs.length} tasks created`);
    }
  } finally {
    progress.stop();
  }
  printList(api.output, taskView, created.filter((t) => t !== undefined));
}

function parseTaskLines(file: string, text: string, namespace: string | undefined): MessageShape<typeof TaskSpecSchema>[] {
  const specs: MessageShape<typeof TaskSpecSchema>[] = [];
  text.split("\n").forEach((line, index) => {
    if (!line.trim()) return;
    try {
      const spec = fromJson(TaskSpecSchema, JSON.parse(line));
      if (!spec.namespace && namespace) spec.namespace = namespace;
      specs.push(spec);
    } catch (e) {
      throw new UsageError(`--from-file ${file}, line ${index + 1}: ${(e as Error).message}`);
    }
  });
  if (!specs.length) throw new UsageError(`--from-file ${file}: no tasks in it`);
  return specs;
}

async function readInput(file: string): Promise<string> {
  if (file === "-") return new TextDecoder().decode(await readStdin());
  return readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`--from-file: cannot read ${file}: ${e.code ?? e.message}`);
  });
}

// `taskplane tasks …`: create, read and steer tasks through TaskService.
import { Command, Option } from "commander";
import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { TaskState } from "@taskplane/sdk";
import { FireTimeSchema, TaskSchema } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { CancelTaskResponseSchema, DeleteTaskResponseSchema } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import { apiAction, apiCommand, type Api } from "./api-connection.js";
import { enumNames, repeatable, parseEnum, parseLabels } from "./flag-values.js";
import { describeFires } from "./format.js";
import { fieldsOf, printFields, printJson, printList, printMessage, printOne } from "./output.js";
import { addLimitOption, collectPages, limitOf } from "./paging.js";
import { addPayloadOptions, payloadFromFlags, type PayloadFlags } from "./payload-input.js";
import { addScheduleOptions } from "./schedule-flags.js";
import { addCreateOptions, createTasks, type CreateFlags } from "./task-create.js";
import { backfillTask, type BackfillFlags } from "./task-backfill.js";
import { previewFires, type PreviewFlags } from "./task-preview.js";
import { runView, taskView } from "./views.js";

export function tasksCommand(): Command {
  const tasks = new Command("tasks").description("create, read and steer tasks");

  apiAction<CreateFlags>(addCreateOptions(apiCommand(tasks, "create", "create a task (or many, --from-file)")), createTasks);

  apiAction(apiCommand(tasks, "get <task-id>", "show a task and its next fires"), showTask);

  apiAction<ListFlags>(
    addLimitOption(
      apiCommand(tasks, "list", "list tasks")
        .addOption(new Option("--state <state>", "only tasks in this state").choices(enumNames(TaskState)))
        .option("--type <type>", "only tasks of this type")
        .option("--queue <queue>", "only tasks on this queue")
        .option("--label <key=value>", "only tasks with this label (repeatable)", repeatable, []),
    ),
    listTasks,
  );

  apiAction<{ run?: string; reason?: string }>(
    apiCommand(tasks, "cancel <task-id>", "cancel a task (no more fires; pending runs cancelled, running ones asked to stop), or only --run")
      .option("--run <run-id>", "cancel only this run; the task keeps its schedule")
      .option("--reason <text>", "why, kept on the cancelled runs"),
    async (api, flags, [taskId]) => {
      const res = await api.client.service.cancelTask({ taskId: taskId!, runId: flags.run, reason: flags.reason });
      const what = flags.run ? `run ${flags.run} of task ${taskId}` : `task ${taskId}`;
      printMessage(api.output, CancelTaskResponseSchema, res, `cancelled ${what}: ${res.cancelledRuns} run(s) cancelled or asked to stop`);
    },
  );

  apiAction<{ run?: string }>(
    apiCommand(tasks, "retry <task-id>", "run a finished run again as a new attempt (by default the task's latest)").option("--run <run-id>", "the run to retry"),
    async (api, flags, [taskId]) => printOne(api.output, runView, await api.client.retry(taskId!, flags.run)),
  );

  apiAction<PayloadFlags>(
    addPayloadOptions(apiCommand(tasks, "trigger <task-id>", "start a run now, whatever the schedule (the payload flags replace the task's payload for this run)")),
    async (api, flags, [taskId]) => printOne(api.output, runView, await api.client.trigger(taskId!, await payloadFromFlags(flags))),
  );

  apiAction(apiCommand(tasks, "pause <task-id>", "stop new fires until resumed (triggers still work)"), async (api, _flags, [taskId]) => {
    printOne(api.output, taskView, await api.client.pause(taskId!));
  });

  apiAction(apiCommand(tasks, "resume <task-id>", "fire again from now on, without catching up fires missed while paused"), async (api, _flags, [taskId]) => {
    printOne(api.output, taskView, await api.client.resume(taskId!));
  });

  apiAction(apiCommand(tasks, "delete <task-id>", "remove a task from scheduling and listing (its runs are kept)"), async (api, _flags, [taskId]) => {
    const res = await api.client.service.deleteTask({ taskId: taskId! });
    printMessage(api.output, DeleteTaskResponseSchema, res, `deleted task ${taskId}`);
  });

  apiAction<PreviewFlags>(
    addScheduleOptions(
      apiCommand(tasks, "preview [task-id]", "the next fire times of a task (with its due times when it has jitter), or of the schedule flags, with what DST does to each")
        .option("--count <n>", "how many fires, 1 to 1000", "10")
        .option("--after <time>", "fires after this time [now]"),
    ),
    previewFires,
  );

  apiAction<BackfillFlags>(
    apiCommand(tasks, "backfill <task-id>", "create the runs a recurring task's schedule would have had over a past range (twice adds nothing)")
      .requiredOption("--from <time>", "fire times at or after this time (ISO 8601; UTC unless it has an offset)")
      .option("--to <time>", "fire times at or before this time, not in the future [now]")
      .addOption(new Option("--overlap <policy>", "how the backfilled runs overlap [allow]").choices(["allow", "skip"])),
    backfillTask,
  );

  return tasks;
}

/** A task with its next fires; `-o json` adds them to the Task as `upcomingFires`, so `.id` and `.spec` stay where they were. */
async function showTask(api: Api, _flags: object, [taskId]: string[]) {
  const { task, upcomingFires } = await api.client.service.getTask({ taskId: taskId! });
  if (api.output === "json") return printJson({ ...(toJson(TaskSchema, task!) as JsonObject), upcomingFires: upcomingFires.map((f) => toJson(FireTimeSchema, f)) });
  printFields([...fieldsOf(taskView, task!), ["next fires", describeFires(upcomingFires)]]);
}

interface ListFlags {
  state?: string;
  type?: string;
  queue?: string;
  label: string[];
  limit: string;
}

async function listTasks(api: Api, flags: ListFlags) {
  const filter = {
    namespace: api.namespace,
    state: flags.state === undefined ? undefined : parseEnum("--state", flags.state, TaskState),
    type: flags.type,
    queue: flags.queue,
    labels: parseLabels("--label", flags.label),
  };
  const tasks = await collectPages(limitOf(flags), async (pageSize, pageToken) => {
    const page = await api.client.list({ ...filter, pageSize, pageToken });
    return { items: page.tasks, nextPageToken: page.nextPageToken };
  });
  printList(api.output, taskView, tasks);
}

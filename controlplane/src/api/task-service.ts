// TaskService handlers: convert the request, call TaskOperations, convert the answer.
import type { DescEnum } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DeliveryStateSchema, OverlapPolicySchema, RunStateSchema, TaskStateSchema } from "@taskplane/proto/taskplane/v1/task_pb.js";
import type { TaskService } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import type { Clock } from "../domain/clock.js";
import type { CallbackOperations } from "../domain/callback-operations.js";
import type { DeliveryState, OverlapPolicy, RunState, TaskState } from "../domain/model.js";
import type { TaskOperations } from "../domain/task-operations.js";
import { activeTraceparent } from "../telemetry/tracing.js";
import {
  callbackFromProto,
  dateOf,
  deliveryToProto,
  enumName,
  fireTimeToProto,
  logEntryToProto,
  payloadFromProto,
  runToProto,
  scheduleFromProto,
  taskSpecFromProto,
  taskToProto,
} from "./convert.js";

const pageSize = (requested: number, fallback = 100) => (requested > 0 ? requested : fallback);
/** An enum filter: 0 (unspecified) means no filter. */
const optionalEnum = <T extends string>(schema: DescEnum, value: number): T | undefined =>
  value === 0 ? undefined : (schema.value[value]?.localName as T | undefined);

export function taskService(tasks: TaskOperations, callbacks: CallbackOperations, clock: Clock): ServiceImpl<typeof TaskService> {
  return {
    async createTask(req) {
      const now = clock.now();
      const [created] = await tasks.create([taskSpecFromProto(req.task!, now)], now, activeTraceparent());
      return {
        task: taskToProto(created!.task),
        firstRun: created!.firstRun && runToProto(created!.firstRun),
        existing: created!.existing,
      };
    },
    async batchCreateTasks(req) {
      const now = clock.now();
      const created = await tasks.create(
        req.tasks.map((t) => taskSpecFromProto(t, now)),
        now,
        activeTraceparent(),
      );
      return { tasks: created.map((c) => taskToProto(c.task)) };
    },
    async getTask(req) {
      const task = await tasks.get(req.taskId);
      return { task: taskToProto(task), upcomingFires: tasks.upcomingFires(task).map(fireTimeToProto) };
    },
    async listTasks(req) {
      const page = await tasks.list(
        {
          state: optionalEnum<TaskState>(TaskStateSchema, req.state),
          type: req.type || undefined,
          queue: req.queue || undefined,
          labels: { ...req.labels },
        },
        pageSize(req.pageSize),
        req.pageToken,
      );
      return { tasks: page.items.map(taskToProto), nextPageToken: page.nextPageToken };
    },
    async cancelTask(req) {
      const { task, cancelledRuns } = await tasks.cancel(req.taskId, req.runId || undefined, req.reason);
      return { task: taskToProto(task), cancelledRuns };
    },
    async retryTask(req) {
      return { run: runToProto(await tasks.retry(req.taskId, req.runId || undefined)) };
    },
    async triggerTask(req) {
      return { run: runToProto(await tasks.trigger(req.taskId, payloadFromProto(req.payload), activeTraceparent())) };
    },
    async pauseTask(req) {
      return { task: taskToProto(await tasks.pause(req.taskId)) };
    },
    async resumeTask(req) {
      return { task: taskToProto(await tasks.resume(req.taskId)) };
    },
    async deleteTask(req) {
      await tasks.delete(req.taskId);
      return {};
    },
    async listRuns(req) {
      const page = await tasks.listRuns(
        { taskId: req.taskId || undefined, state: optionalEnum<RunState>(RunStateSchema, req.state) },
        pageSize(req.pageSize),
        req.pageToken,
      );
      return { runs: page.items.map(runToProto), nextPageToken: page.nextPageToken };
    },
    async getRun(req) {
      return { run: runToProto(await tasks.getRun(req.runId)) };
    },
    async listRunLogs(req) {
      const entries = await tasks.listRunLogs(req.runId, req.afterSequence, pageSize(req.pageSize, 500));
      return { entries: entries.map(logEntryToProto) };
    },
    async previewSchedule(req) {
      const fires = tasks.preview(scheduleFromProto(req.schedule, clock.now()), pageSize(req.count, 10), dateOf(req.after));
      return { fireTimes: fires.filter((f) => !f.skipped).map((f) => timestampFromDate(f.time)), fires: fires.map(fireTimeToProto) };
    },
    async backfillTask(req) {
      const overlap = req.overlapPolicy === 0 ? "ALLOW" : enumName<OverlapPolicy>(OverlapPolicySchema, req.overlapPolicy, "ALLOW");
      return tasks.backfill(req.taskId, dateOf(req.startTime)!, dateOf(req.endTime)!, overlap);
    },
    async updateTaskCallback(req) {
      return { task: taskToProto(await callbacks.update(req.taskId, callbackFromProto(req.callback))) };
    },
    async listDeliveries(req) {
      const page = await callbacks.list(
        { taskId: req.taskId || undefined, runId: req.runId || undefined, state: optionalEnum<DeliveryState>(DeliveryStateSchema, req.state) },
        pageSize(req.pageSize),
        req.pageToken,
      );
      return { deliveries: page.items.map(deliveryToProto), nextPageToken: page.nextPageToken };
    },
    async redeliverCallback(req) {
      return { delivery: deliveryToProto(await callbacks.redeliver(req.deliveryId)) };
    },
  };
}

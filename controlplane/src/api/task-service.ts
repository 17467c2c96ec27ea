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
import { scopeOf } from "./auth-interceptor.js";
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
    async createTask(req, ctx) {
      const now = clock.now();
      const [created] = await tasks.create([taskSpecFromProto(req.task!, now)], now, scopeOf(ctx), activeTraceparent());
      return {
        task: taskToProto(created!.task),
        firstRun: created!.firstRun && runToProto(created!.firstRun),
        existing: created!.existing,
      };
    },
    async batchCreateTasks(req, ctx) {
      const now = clock.now();
      const created = await tasks.create(
        req.tasks.map((t) => taskSpecFromProto(t, now)),
        now,
        scopeOf(ctx),
        activeTraceparent(),
      );
      return { tasks: created.map((c) => taskToProto(c.task)) };
    },
    async getTask(req, ctx) {
      const task = await tasks.get(req.taskId, scopeOf(ctx));
      return { task: taskToProto(task), upcomingFires: tasks.upcomingFires(task).map(fireTimeToProto) };
    },
    async listTasks(req, ctx) {
      const page = await tasks.list(
        {
          state: optionalEnum<TaskState>(TaskStateSchema, req.state),
          type: req.type || undefined,
          queue: req.queue || undefined,
          labels: { ...req.labels },
        },
        req.namespace || undefined,
        pageSize(req.pageSize),
        req.pageToken,
        scopeOf(ctx),
      );
      return { tasks: page.items.map(taskToProto), nextPageToken: page.nextPageToken };
    },
    async cancelTask(req, ctx) {
      const { task, cancelledRuns } = await tasks.cancel(req.taskId, req.runId || undefined, req.reason, scopeOf(ctx));
      return { task: taskToProto(task), cancelledRuns };
    },
    async retryTask(req, ctx) {
      return { run: runToProto(await tasks.retry(req.taskId, req.runId || undefined, scopeOf(ctx))) };
    },
    async triggerTask(req, ctx) {
      return { run: runToProto(await tasks.trigger(req.taskId, payloadFromProto(req.payload), scopeOf(ctx), activeTraceparent())) };
    },
    async pauseTask(req, ctx) {
      return { task: taskToProto(await tasks.pause(req.taskId, scopeOf(ctx))) };
    },
    async resumeTask(req, ctx) {
      return { task: taskToProto(await tasks.resume(req.taskId, scopeOf(ctx))) };
    },
    async deleteTask(req, ctx) {
      await tasks.delete(req.taskId, scopeOf(ctx));
      return {};
    },
    async listRuns(req, ctx) {
      const page = await tasks.listRuns(
        {
          taskId: req.taskId || undefined,
          state: optionalEnum<RunState>(RunStateSchema, req.state),
          scheduledFrom: dateOf(req.scheduledFrom),
          scheduledTo: dateOf(req.scheduledTo),
        },
        req.namespace || undefined,
        pageSize(req.pageSize),
        req.pageToken,
        scopeOf(ctx),
      );
      return { runs: page.items.map(runToProto), nextPageToken: page.nextPageToken };
    },
    async getRun(req, ctx) {
      return { run: runToProto(await tasks.getRun(req.runId, scopeOf(ctx))) };
    },
    async listRunLogs(req, ctx) {
      const entries = await tasks.listRunLogs(req.runId, req.afterSequence, pageSize(req.pageSize, 500), scopeOf(ctx));
      return { entries: entries.map(logEntryToProto) };
    },
    async previewSchedule(req) {
      const fires = tasks.preview(scheduleFromProto(req.schedule, clock.now()), pageSize(req.count, 10), dateOf(req.after));
      return { fireTimes: fires.filter((f) => !f.skipped).map((f) => timestampFromDate(f.time)), fires: fires.map(fireTimeToProto) };
    },
    async backfillTask(req, ctx) {
      const overlap = req.overlapPolicy === 0 ? "ALLOW" : enumName<OverlapPolicy>(OverlapPolicySchema, req.overlapPolicy, "ALLOW");
      return tasks.backfill(req.taskId, dateOf(req.startTime)!, dateOf(req.endTime)!, overlap, scopeOf(ctx));
    },
    async updateTaskCallback(req, ctx) {
      return { task: taskToProto(await callbacks.update(req.taskId, callbackFromProto(req.callback), scopeOf(ctx))) };
    },
    async listDeliveries(req, ctx) {
      const page = await callbacks.list(
        { taskId: req.taskId || undefined, runId: req.runId || undefined, state: optionalEnum<DeliveryState>(DeliveryStateSchema, req.state) },
        pageSize(req.pageSize),
        req.pageToken,
        scopeOf(ctx),
      );
      return { deliveries: page.items.map(deliveryToProto), nextPageToken: page.nextPageToken };
    },
    async redeliverCallback(req, ctx) {
      return { delivery: deliveryToProto(await callbacks.redeliver(req.deliveryId, scopeOf(ctx))) };
    },
  };
}

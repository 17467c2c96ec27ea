// TaskplaneClient: a typed wrapper over TaskService for submitting, watching and steering tasks.
import { timestampFromDate, timestampMs } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import type { CallbackSchema, DeliveryState, OverlapPolicy, RunState, TaskSpecSchema, TaskState } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { TaskService } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import { NotificationService, type NotificationRuleSpecSchema } from "@taskplane/proto/taskplane/v1/notification_service_pb.js";
import { AuditService, type ListAuditEventsRequestSchema } from "@taskplane/proto/taskplane/v1/audit_service_pb.js";
import { ClusterService, type GetOverviewRequestSchema, type ListWorkersRequestSchema } from "@taskplane/proto/taskplane/v1/cluster_service_pb.js";
import type { PayloadData } from "../payload.js";
import type { ScheduleInit } from "./schedules.js";
import { createTransport, type ConnectionOptions } from "./transport.js";

export type TaskSpecInit = MessageInitShape<typeof TaskSpecSchema>;
export type CallbackInit = MessageInitShape<typeof CallbackSchema>;
export type NotificationRuleInit = MessageInitShape<typeof NotificationRuleSpecSchema>;

export interface ListTasksFilter {
  /** Only this namespace [every namespace the token names]. */
  namespace?: string;
  state?: TaskState;
  type?: string;
  queue?: string;
  labels?: Record<string, string>;
  pageSize?: number;
  pageToken?: string;
}

export interface ListRunsFilter {
  /** Only this namespace [every namespace the token names]. */
  namespace?: string;
  taskId?: string;
  state?: RunState;
  /** Only runs scheduled at or after this instant. */
  scheduledFrom?: Date;
  /** Only runs scheduled at or before this instant. */
  scheduledTo?: Date;
  pageSize?: number;
  pageToken?: string;
}

/**
 * @example
 * const client = new TaskplaneClient({ address: "http://127.0.0.1:7070" });
 * const { task } = await client.createTask({ type: "report.build", payload: json({ day: "monday" }),
 *   schedule: schedules.cron("0 9 * * MON-FRI", "Europe/Berlin") });
 */
export class TaskplaneClient {
  /** The generated client, for anything the helpers do not cover. */
  readonly service: Client<typeof TaskService>;
  readonly notificationService: Client<typeof NotificationService>;
  readonly auditService: Client<typeof AuditService>;
  readonly clusterService: Client<typeof ClusterService>;

  constructor(options: ConnectionOptions) {
    const transport = createTransport(options);
    this.service = createClient(TaskService, transport);
    this.notificationService = createClient(NotificationService, transport);
    this.auditService = createClient(AuditService, transport);
    this.clusterService = createClient(ClusterService, transport);
  }

  /** Creates a task and its first run; with an idempotency key already used, returns the first task (`existing`). */
  createTask(task: TaskSpecInit) {
    return this.service.createTask({ task });
  }

  /** Creates up to 1,000 tasks in one transaction. */
  async createTasks(tasks: TaskSpecInit[]) {
    return (await this.service.batchCreateTasks({ tasks })).tasks;
  }

  async get(taskId: string) {
    return (await this.service.getTask({ taskId })).task!;
  }

  /** A recurring task's next fires (up to 10), with its jitter and what DST does to each. */
  async upcomingFires(taskId: string) {
    return (await this.service.getTask({ taskId })).upcomingFires;
  }

  list(filter: ListTasksFilter = {}) {
    return this.service.listTasks(filter);
  }

  /** Cancels the task (or only `runId`): pending runs are cancelled, running attempts asked to stop. */
  cancel(taskId: string, options: { runId?: string; reason?: string } = {}) {
    return this.service.cancelTask({ taskId, ...options });
  }

  /** Runs a finished run again (by default the task's latest) as a new attempt. */
  async retry(taskId: string, runId?: string) {
    return (await this.service.retryTask({ taskId, runId })).run!;
  }

  /** Starts a run now, whatever the schedule, optionally with another payload. */
  async trigger(taskId: string, payload?: PayloadData) {
    return (await this.service.triggerTask({ taskId, payload })).run!;
  }

  async pause(taskId: string) {
    return (await this.service.pauseTask({ taskId })).task!;
  }

  async resume(taskId: string) {
    return (await this.service.resumeTask({ taskId })).task!;
  }

  async delete(taskId: string): Promise<void> {
    await this.service.deleteTask({ taskId });
  }

  /** Runs, the most recently created first; `scheduledFrom`/`scheduledTo` bound their scheduled times. */
  runs({ scheduledFrom, scheduledTo, ...filter }: ListRunsFilter = {}) {
    return this.service.listRuns({ ...filter, scheduledFrom: timestampOf(scheduledFrom), scheduledTo: timestampOf(scheduledTo) });
  }

  async getRun(runId: string) {
    return (await this.service.getRun({ runId })).run!;
  }

  async logs(runId: string, afterSequence = 0n) {
    return (await this.service.listRunLogs({ runId, afterSequence })).entries;
  }

  /**
   * The fire times among a schedule's next `count` fires after `after` (default now): fewer than
   * `count` when a DST policy skips some (see previewFires).
   */
  async preview(schedule: ScheduleInit, count = 10, after?: Date) {
    const { fireTimes } = await this.previewFires(schedule, count, after);
    return fireTimes.map((t) => new Date(timestampMs(t)));
  }

  /** The next fires of a schedule with their local times and DST effects, including fires DST skips. */
  previewFires(schedule: ScheduleInit, count = 10, after?: Date) {
    return this.service.previewSchedule({ schedule, count, after: timestampOf(after) });
  }

  /**
   * Creates the runs a recurring task's schedule would have had in [from, to] (a past range), at
   * most one per fire time: backfilling the same range twice adds nothing.
   */
  backfill(taskId: string, from: Date, to: Date, overlapPolicy?: OverlapPolicy) {
    return this.service.backfillTask({ taskId, startTime: timestampFromDate(from), endTime: timestampFromDate(to), overlapPolicy });
  }

  /** Sets a task's callback (say, to rotate its secret: list the new one first), or removes it. */
  async updateCallback(taskId: string, callback: CallbackInit | undefined) {
    return (await this.service.updateTaskCallback({ taskId, callback })).task!;
  }

  /** Callback deliveries of a task or a run, newest first, with every attempt. */
  deliveries(filter: { taskId?: string; runId?: string; state?: DeliveryState; pageSize?: number; pageToken?: string }) {
    return this.service.listDeliveries(filter);
  }

  /** Sends a callback event again now, with the same webhook-id. */
  async redeliver(deliveryId: string) {
    return (await this.service.redeliverCallback({ deliveryId })).delivery!;
  }

  /**
   * Tells people about a task's or a queue's runs on Slack, by email or by webhook, at most one
   * message per group window.
   * @example
   * await client.createNotificationRule({ scope: { case: "queue", value: "billing" },
   *   events: [NotificationEvent.RETRIES_EXHAUSTED], channel: { case: "email", value: { to: ["oncall@example.com"] } } });
   */
  async createNotificationRule(rule: NotificationRuleInit) {
    return (await this.notificationService.createNotificationRule({ rule })).rule!;
  }

  async notificationRules(filter: { taskId?: string; queue?: string } = {}) {
    return (await this.notificationService.listNotificationRules(filter)).rules;
  }

  async deleteNotificationRule(ruleId: string): Promise<void> {
    await this.notificationService.deleteNotificationRule({ ruleId });
  }

  /** The audit trail, newest first: every change and every security refusal (admin only). */
  auditEvents(filter: MessageInitShape<typeof ListAuditEventsRequestSchema> = {}) {
    return this.auditService.listAuditEvents(filter);
  }

  /** Run counts, the last hour minute by minute, queue depths, connected workers and the leader. */
  overview(filter: MessageInitShape<typeof GetOverviewRequestSchema> = {}) {
    return this.clusterService.getOverview(filter);
  }

  /** Workers seen in the last ten minutes, with their running attempts. */
  async workers(filter: MessageInitShape<typeof ListWorkersRequestSchema> = {}) {
    return (await this.clusterService.listWorkers(filter)).workers;
  }
}

const timestampOf = (date: Date | undefined) => (date ? timestampFromDate(date) : undefined);

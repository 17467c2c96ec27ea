// The public surface of @taskplane/sdk.
export { TaskplaneClient, type CallbackInit, type NotificationRuleInit, type ListRunsFilter, type ListTasksFilter, type TaskSpecInit } from "./client/taskplane-client.js";
export { verifyWebhook, WebhookSignatureError, type WebhookEvent } from "./webhooks/verify-webhook.js";
export { schedules, duration, type ScheduleInit, type RecurringOptions, type CronOptions } from "./client/schedules.js";
export { createTransport, retryInterceptor, RETRYABLE_CODES, type ConnectionOptions, type RetryOptions } from "./client/transport.js";
export { Worker, type WorkerOptions, type WorkerState, type WorkerStats } from "./worker/worker.js";
export { TaskContext } from "./worker/task-context.js";
export type { Handler } from "./worker/attempt.js";
export { json, decodePayload, type PayloadData } from "./payload.js";
export { aesGcmCodec, codecInterceptor, ENCRYPTED_CONTENT_TYPE, type PayloadCodec } from "./payload-codec.js";
export {
  NonRetryableError,
  CancelledError,
  AttemptLostError,
  DeadlineExceededError,
  WorkerShutdownError,
  isNotFound,
  isInvalidArgument,
  isFailedPrecondition,
  Code,
  ConnectError,
} from "./errors.js";
export {
  Priority,
  RunState,
  TaskState,
  OverlapPolicy,
  CatchUpMode,
  MissingTimePolicy,
  RepeatedTimePolicy,
  DstEffect,
  AttemptOutcome,
  RunTrigger,
  CallbackEvent,
  DeliveryState,
  type Delivery,
  type Task,
  type Run,
  type FireTime,
} from "@taskplane/proto/taskplane/v1/task_pb.js";
export { NotificationEvent, type NotificationRule } from "@taskplane/proto/taskplane/v1/notification_service_pb.js";
export type { AuditEvent } from "@taskplane/proto/taskplane/v1/audit_service_pb.js";
export type { GetOverviewResponse, MinuteStats, QueueDepth, Worker as WorkerStatus } from "@taskplane/proto/taskplane/v1/cluster_service_pb.js";

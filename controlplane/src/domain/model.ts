// The domain model: plain data shared by the store, scheduler, dispatch and API.
// It knows nothing of protobuf or SQL; api/convert.ts and store/ translate.

export const PRIORITIES = ["CRITICAL", "HIGH", "NORMAL", "LOW"] as const;
export type Priority = (typeof PRIORITIES)[number];

export type TaskState = "ACTIVE" | "PAUSED" | "COMPLETED" | "CANCELLED" | "DELETED";

export type RunState =
  | "SCHEDULED"
  | "QUEUED"
  | "RUNNING"
  | "RETRYING"
  | "SUCCEEDED"
  | "FAILED"
  | "CANCELLED"
  | "TIMED_OUT"
  | "SKIPPED";

export const TERMINAL_RUN_STATES: readonly RunState[] = ["SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "SKIPPED"];
/** Runs waiting for their time or for a worker: cancelled outright by a cancel. */
export const PENDING_RUN_STATES: readonly RunState[] = ["SCHEDULED", "QUEUED", "RETRYING"];

export type RunTrigger = "SCHEDULE" | "MANUAL" | "BACKFILL";
export type AttemptOutcome = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "CANCELLED";
export type OverlapPolicy = "SKIP" | "ALLOW" | "CANCEL_PREVIOUS";
export type CatchUpMode = "SKIP" | "ONE" | "ALL";
export type MissingTimePolicy = "RUN_AT_NEXT_VALID_TIME" | "SKIP";
export type RepeatedTimePolicy = "RUN_ONCE_FIRST" | "RUN_ONCE_LAST" | "RUN_BOTH";

export interface Payload {
  data: Uint8Array;
  contentType: string;
}

export interface RetryPolicy {
  maxAttempts: number;
  initialBackoffMs: number;
  backoffCoefficient: number;
  maxBackoffMs: number;
  jitter: number;
  nonRetryableErrorTypes: string[];
}

export interface Timeouts {
  startToCloseMs: number;
  heartbeatMs: number;
}

export interface CatchUpPolicy {
  mode: CatchUpMode;
  windowMs: number;
  maxRuns: number;
}

export type ScheduleKind =
  | { kind: "once"; at: Date }
  | {
      kind: "cron";
      expression: string;
      /** Set when the task is created (see canonicalCronExpression); schedules stored before lack it. */
      matchExpression?: string;
      timeZone: string;
      onMissingTime: MissingTimePolicy;
      onRepeatedTime: RepeatedTimePolicy;
    }
  | { kind: "interval"; everyMs: number; offsetMs: number }
  | { kind: "manual" };

export type Schedule = ScheduleKind & {
  startTime?: Date;
  endTime?: Date;
  overlap: OverlapPolicy;
  catchUp: CatchUpPolicy;
  /** Recurring fires are due up to this long after their scheduled time, fixed per task and time. */
  jitterMs: number;
};

export const CALLBACK_EVENTS = ["RUN_SUCCEEDED", "RUN_FAILED", "RUN_CANCELLED", "ATTEMPT_FAILED"] as const;
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];

/** A webhook the task's runs report their outcomes to. */
export interface Callback {
  url: string;
  events: CallbackEvent[];
  /** Standard Webhooks secrets ("whsec_…"), newest first; empty means the server's. */
  secrets: string[];
}

export const DEFAULT_NAMESPACE = "default";

export interface TaskSpec {
  /** The tenant the task belongs to. */
  namespace: string;
  type: string;
  queue: string;
  payload: Payload;
  priority: Priority;
  labels: Record<string, string>;
  idempotencyKey?: string;
  retry: RetryPolicy;
  timeouts: Timeouts;
  schedule: Schedule;
  callback?: Callback;
}

export interface Task {
  id: string;
  spec: TaskSpec;
  state: TaskState;
  createTime: Date;
  updateTime: Date;
  nextFireTime?: Date;
  /** Its wrapped data key, when its data is stored encrypted (security/sealed-store.ts). */
  dataKey?: Uint8Array;
}

export interface RunError {
  type: string;
  message: string;
  nonRetryable: boolean;
}

export interface Attempt {
  number: number;
  workerId: string;
  outcome: AttemptOutcome;
  startTime: Date;
  endTime?: Date;
  error?: RunError;
}

export interface Run {
  id: string;
  namespace: string;
  taskId: string;
  taskType: string;
  queue: string;
  priority: Priority;
  state: RunState;
  trigger: RunTrigger;
  scheduledTime: Date;
  /** When the run is due: the scheduled time, or the next attempt's time while RETRYING. */
  dueTime: Date;
  fireTime?: Date;
  startTime?: Date;
  endTime?: Date;
  attempt: number;
  maxAttempts: number;
  output?: Payload;
  error?: RunError;
  attempts: Attempt[];
  cancelRequested: boolean;
  reason?: string;
  traceparent?: string;
  heartbeatDetails?: Uint8Array;
}

/** What a worker receives for one attempt. */
export interface Assignment {
  runId: string;
  attempt: number;
  taskId: string;
  taskType: string;
  payload: Payload;
  priority: Priority;
  labels: Record<string, string>;
  scheduledTime: Date;
  maxAttempts: number;
  /** When the attempt starts: the claim, or the due instant of a run claimed ahead. */
  startTime: Date;
  deadline: Date;
  heartbeatTimeoutMs: number;
  heartbeatDetails?: Uint8Array;
  traceparent?: string;
  /** Where its task's data is sealed, when it is (security/sealed-store.ts): read with the claim. */
  sealing?: { namespace: string; dataKey: Uint8Array };
}

export interface LogEntry {
  attempt: number;
  time: Date;
  message: string;
  sequence: bigint;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

export type DeliveryState = "PENDING" | "SUCCEEDED" | "FAILED" | "STOPPED";

export interface DeliveryAttempt {
  time: Date;
  latencyMs: number;
  /** 0 when no response came. */
  statusCode: number;
  error?: string;
  responsePrefix?: string;
}

/** One callback event of a run, and its attempts to reach the receiver. */
export interface Delivery {
  /** Also the webhook-id header. */
  id: string;
  taskId: string;
  runId: string;
  attempt: number;
  event: CallbackEvent;
  /** The run's state when the event happened. */
  runState: RunState;
  url: string;
  state: DeliveryState;
  attempts: DeliveryAttempt[];
  nextAttemptTime?: Date;
  createTime: Date;
}

export const NOTIFICATION_EVENTS = ["ATTEMPT_FAILED", "RETRIES_EXHAUSTED", "RUN_SUCCEEDED", "RUN_LATE"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export type NotificationChannel = { kind: "slack"; webhookUrl: string } | { kind: "email"; to: string[] } | { kind: "webhook"; url: string };

/** Who hears about what: a task's or a queue's runs, some events, one channel, grouped per window. */
export interface NotificationRuleSpec {
  /** The rule's task's namespace, or the namespace of the queue it watches. */
  namespace: string;
  taskId?: string;
  queue?: string;
  events: NotificationEvent[];
  channel: NotificationChannel;
  /** For RUN_LATE: how late a start must be. */
  lateAfterMs: number;
  /** At most one message per window. */
  groupWindowMs: number;
}

export interface NotificationRule extends NotificationRuleSpec {
  id: string;
  createTime: Date;
  lastSentTime?: Date;
  lastError?: string;
}

/** One event a rule caught. */
export interface NotificationRecord {
  event: NotificationEvent;
  taskId: string;
  taskType: string;
  runId: string;
  attempt: number;
  detail?: string;
  time: Date;
}

/** One change made through the API, or one security refusal. */
export interface AuditEvent {
  sequence: string;
  time: Date;
  principal: string;
  namespace?: string;
  action: string;
  target?: string;
  /** "ok", or the code the call was refused with. */
  result: string;
  detail?: string;
  address?: string;
}

// The Store: every high-level operation on tasks and runs, with no connection or transaction
// types in sight. Each run state change it makes is conditional on the state it expects, so
// late, duplicate or stale requests are refused rather than applied.
import type {
  Assignment,
  AuditEvent,
  Callback,
  Delivery,
  DeliveryAttempt,
  DeliveryState,
  NotificationRecord,
  NotificationRule,
  LogEntry,
  OverlapPolicy,
  Page,
  Payload,
  Priority,
  RetryPolicy,
  Run,
  RunError,
  RunState,
  RunTrigger,
  Schedule,
  Task,
  TaskState,
} from "../domain/model.js";

export interface NewRun {
  id: string;
  namespace: string;
  taskId: string;
  taskType: string;
  queue: string;
  priority: Priority;
  trigger: RunTrigger;
  scheduledTime: Date;
  /** When it is due, if not at its scheduled time (jitter, a backfill). */
  dueTime?: Date;
  maxAttempts: number;
  traceparent?: string;
  payloadOverride?: Payload;
  /** A backfilled run's own overlap policy. */
  overlap?: OverlapPolicy;
  /** Catch-up fires are written already QUEUED or SKIPPED; others start SCHEDULED. */
  state?: "SCHEDULED" | "QUEUED" | "SKIPPED";
  reason?: string;
}

/** What dispatch needs to queue a run. */
export interface DispatchRun {
  id: string;
  /** Workers take runs by namespace and queue. */
  namespace: string;
  queue: string;
  taskType: string;
  priority: Priority;
  dueTime: Date;
  /** The W3C traceparent the run's spans continue. */
  traceparent?: string;
}

/** A run falling due, with what the scheduler needs to decide its fate. */
export interface DueRun extends DispatchRun {
  taskId: string;
  state: RunState;
  trigger: RunTrigger;
  scheduledTime: Date;
  maxAttempts: number;
  taskState: TaskState;
  schedule: Schedule;
  /** A backfilled run's own overlap policy. */
  overlap?: OverlapPolicy;
}

export interface TaskFilter {
  /** Only these namespaces; undefined for all. */
  namespaces?: string[];
  state?: TaskState;
  type?: string;
  queue?: string;
  labels: Record<string, string>;
}

export interface RunFilter {
  /** Only these namespaces; undefined for all. */
  namespaces?: string[];
  taskId?: string;
  state?: RunState;
  /** Only runs scheduled within these bounds, both inclusive. */
  scheduledFrom?: Date;
  scheduledTo?: Date;
}

/** One atomic scheduler step over runs that fell due. */
export interface FirePlan {
  /** Runs waiting for a worker: SCHEDULED or RETRYING -> QUEUED. */
  queue: string[];
  /** Fires that will not run: -> SKIPPED with the reason. */
  skip: { runId: string; reason: string }[];
  /** Fires that may not run yet because of their task's state: -> CANCELLED with the reason. */
  cancel: { runId: string; reason: string }[];
  /** Tasks whose unfinished runs are cancelled (overlap policy CANCEL_PREVIOUS), all but the new fire. */
  cancelPrevious: { taskId: string; keepRunId: string }[];
  /** Next fires of recurring schedules; an existing (task, scheduled time) is left alone. */
  next: NewRun[];
  /** Tasks' next fire times; `completed` marks a schedule with no more fires. */
  tasks: { taskId: string; nextFireTime?: Date; completed: boolean }[];
}

export type ReportOutcome =
  | { ok: true; willRetry: boolean; nextAttemptTime?: Date; traceparent?: string }
  | { ok: false; refusal: "not_found" | "stale" };

/** What the run looks like to the retry decision after an attempt failed or timed out. */
export interface FailedAttempt {
  runId: string;
  traceparent?: string;
  attempt: number;
  maxAttempts: number;
  cancelRequested: boolean;
  retry: RetryPolicy;
  error: RunError;
}

/** After a failed attempt: retry at a time, or end the run in a state. */
export type FailureDecision = { state: "RETRYING"; dueTime: Date } | { state: "FAILED" | "TIMED_OUT" | "CANCELLED" };

export type DecideAfterFailure = (attempt: FailedAttempt) => FailureDecision;

export interface AttemptFailure {
  runId: string;
  attempt: number;
  error: RunError;
}

export interface AttemptSuccess {
  runId: string;
  attempt: number;
  output?: Payload;
}

export type HeartbeatOutcome =
  | { ok: true; cancelRequested: boolean; leaseExpiresAt: Date }
  | { ok: false; refusal: "not_found" | "stale" };

export interface DeliveryFilter {
  taskId?: string;
  runId?: string;
  state?: DeliveryState;
}

/** A callback delivery claimed for an attempt, with what its event and signature are made of. */
export interface DueDelivery {
  delivery: Delivery;
  /** The event as first sent; unset before the first attempt. */
  body?: string;
  retryUntil: Date;
  /** This claim: an attempt is recorded only if no newer claim or redelivery came since. */
  claim: number;
  /** Attempts since the delivery was created or last redelivered, for the backoff. */
  retries: number;
  /** The task's own signing secrets (empty: the server's sign). */
  taskSecrets: string[];
  taskLabels: Record<string, string>;
  run: Run;
}

/** One delivery attempt and what follows it. */
export interface DeliveryResult {
  id: string;
  /** The delivery's task, whose key seals the body when its data is encrypted. */
  taskId: string;
  /** The claim the attempt was made under. */
  claim: number;
  attempt: DeliveryAttempt;
  body: string;
  state: DeliveryState;
  nextAttemptTime?: Date;
}

/** What the cluster looks like now, for metrics. */
export interface ClusterStats {
  /** Runs in each unfinished state. */
  runsByState: { state: RunState; count: number }[];
  /** QUEUED runs per queue and priority. */
  queueDepth: { queue: string; priority: Priority; count: number }[];
  /** Workers with a running attempt. */
  activeWorkers: number;
}

/** Where a task's data is sealed: its namespace, and its wrapped data key if it has one. */
export interface TaskDataKey {
  taskId: string;
  namespace: string;
  dataKey?: Uint8Array;
}

/** A worker as a replica saw it poll. */
export interface WorkerSighting {
  namespace: string;
  queue: string;
  workerId: string;
  taskTypes: string[];
  /** The token subject it polls with; "" without authentication. */
  principal: string;
  lastSeen: Date;
}

/** A worker with what it runs now; lastSeen also counts heartbeats of its running attempts. */
export interface WorkerStatus extends WorkerSighting {
  runningAttempts: number;
  /** Polled in the last minute, or holds an attempt whose lease has not expired. */
  connected: boolean;
}

/** One minute of the overview: runs that ended in it, first attempts that started in it. */
export interface MinuteStats {
  minute: Date;
  succeeded: number;
  failed: number;
  started: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
}

/** The cluster as the dashboard's overview shows it, within some namespaces. */
export interface Overview {
  runsByState: { state: RunState; count: number }[];
  /** The last 60 minutes, oldest first, empty minutes included. */
  lastHour: MinuteStats[];
  queueDepths: { namespace: string; queue: string; priority: Priority; queued: number; running: number }[];
  leader: { id: string; token: bigint; since?: Date };
}

/** A rule whose window is open, with the events it has not sent yet. */
export interface DueNotification {
  rule: NotificationRule;
  /** The oldest unsent events, up to the claim's limit. */
  events: NotificationRecord[];
  /** How many unsent events the message covers, and their ids. */
  total: number;
  eventIds: string[];
}

export interface AuditFilter {
  /** Only these namespaces (undefined: all, events without one included). */
  namespaces?: string[];
  principal?: string;
  action?: string;
  target?: string;
  refusedOnly: boolean;
  from?: Date;
  to?: Date;
}

/** A scheduler write refused because a newer leader's fencing token is in force. */
export class FencedWriteError extends Error {
  constructor(
    readonly token: bigint,
    readonly current: bigint,
  ) {
    super(`scheduler write with fencing token ${token} refused: token ${current} is in force`);
    this.name = "FencedWriteError";
  }
}

export interface Store {
  // Tasks
  createTasks(items: { task: Task; firstRun?: NewRun }[]): Promise<{ task: Task; firstRun?: Run; existing: boolean }[]>;
  getTask(taskId: string): Promise<Task | undefined>;
  listTasks(filter: TaskFilter, pageSize: number, pageToken: string): Promise<Page<Task>>;
  /** Sets a task's state if it is in one of `from`; cancels its pending runs and asks running ones to stop when `cancelRuns` is given. */
  changeTaskState(change: {
    taskId: string;
    from: TaskState[];
    to: TaskState;
    now: Date;
    nextRun?: NewRun;
    /** Runs to record as well, e.g. the fires skipped while a task was paused. */
    records?: NewRun[];
    /**
     * Ends the task's pending runs: all of them CANCELLED (running ones asked to stop), or with
     * onlyScheduled its scheduled fires SKIPPED (a pause; triggers and backfills still run).
     */
    cancelRuns?: { reason: string; onlyScheduled: boolean };
  }): Promise<{ task: Task; cancelledRuns: number } | undefined>;

  // Runs
  /** Inserts a run; undefined when the task already has a run at that scheduled time. */
  insertRun(run: NewRun): Promise<Run | undefined>;
  /** Inserts backfilled runs; a SKIPPED run at the same scheduled time is made to run instead, any other is left alone. */
  backfillRuns(runs: NewRun[], now: Date): Promise<{ created: number; reopened: number }>;
  getRun(runId: string): Promise<Run | undefined>;
  listRuns(filter: RunFilter, pageSize: number, pageToken: string): Promise<Page<Run>>;
  cancelRun(taskId: string, runId: string, reason: string, now: Date): Promise<number>;
  /** Opens a finished run for one more attempt, due now. */
  reopenRun(runId: string, extraAttempts: number, now: Date): Promise<Run | undefined>;
  lastFinishedRunId(taskId: string): Promise<string | undefined>;
  /** The scheduled time of the task's latest scheduled fire (its pause skipped it, for a paused task). */
  lastScheduledTime(taskId: string): Promise<Date | undefined>;
  appendLogs(runId: string, attempt: number, lines: { time: Date; message: string }[]): Promise<"ok" | "not_found" | "stale">;
  listRunLogs(runId: string, afterSequence: bigint, limit: number): Promise<LogEntry[]>;

  // Scheduler
  /** Ids of the runs falling due by `until`, soonest first: the scheduler's frequent look at its window. */
  dueRunIds(until: Date, limit: number): Promise<string[]>;
  /** Of these runs, those still waiting to fall due, with what their fate depends on now: read as they are loaded and as they fire. */
  dueRunsById(ids: string[]): Promise<DueRun[]>;
  /** QUEUED runs, oldest first; with `firedBefore`, only those fired before then (stuck ones). */
  queuedRuns(limit: number, firedBefore?: Date): Promise<DispatchRun[]>;
  tasksWithActiveRuns(taskIds: string[], exceptRunIds: string[]): Promise<Set<string>>;
  /** Applies a fire plan under the leader's fencing token (FencedWriteError when stale). */
  applyFirePlan(plan: FirePlan, now: Date, fence: bigint): Promise<DispatchRun[]>;
  /**
   * Active recurring tasks whose latest scheduled run is no longer pending although their next
   * fire time is at or before `dueBy` (a fire handed out whose next run was never written), with
   * that run's scheduled time.
   */
  recurringTasksWithoutNextRun(dueBy: Date, limit: number): Promise<{ task: Task; lastScheduledTime?: Date }[]>;
  timeOutAttempts(now: Date, limit: number, decide: DecideAfterFailure, fence: bigint): Promise<number>;

  // Workers
  /** Starts, at `startTime`, the next attempt of each pending run due by then; runs no longer pending are left out. */
  claimRuns(runIds: string[], workerId: string, startTime: Date): Promise<Assignment[]>;
  /** Undoes claims no worker received: each run goes back to QUEUED, its attempt unstarted. */
  releaseClaims(claims: { runId: string; attempt: number }[], workerId: string): Promise<number>;
  heartbeat(runId: string, attempt: number, details: Uint8Array | undefined, now: Date): Promise<HeartbeatOutcome>;
  completeAttempts(reports: AttemptSuccess[], now: Date): Promise<ReportOutcome[]>;
  failAttempts(reports: AttemptFailure[], now: Date, decide: DecideAfterFailure): Promise<ReportOutcome[]>;

  /** Counts over unfinished runs only, each read through its partial index. */
  clusterStats(): Promise<ClusterStats>;
  /** Records a worker's poll; a later sighting of the same worker replaces it. */
  recordWorkerSighting(sighting: WorkerSighting): Promise<void>;
  /** Forgets workers not seen since `before`. */
  forgetWorkers(before: Date): Promise<void>;
  /** Workers seen since `since` or running attempts now, most recently seen first. */
  listWorkers(filter: { namespaces?: string[]; queue?: string; since: Date }, now: Date): Promise<WorkerStatus[]>;
  /** Run counts, the hour before `now` minute by minute, queue depths and the leader. */
  readOverview(namespaces: string[] | undefined, now: Date): Promise<Overview>;

  // Callbacks
  /** Sets or clears a task's callback; undefined when there is no such task. */
  updateTaskCallback(taskId: string, callback: Callback | undefined, now: Date): Promise<Task | undefined>;
  /** Leases up to `limit` deliveries due by `now` for one attempt each; other replicas skip them. */
  claimDueDeliveries(now: Date, limit: number, leaseMs: number, maxAgeMs: number): Promise<DueDelivery[]>;
  /** Records an attempt; false when another replica recorded one since the claim. */
  recordDeliveryAttempt(result: DeliveryResult): Promise<boolean>;
  listDeliveries(filter: DeliveryFilter, pageSize: number, pageToken: string): Promise<Page<Delivery>>;
  /** Makes a delivery due now, with a fresh retry window; undefined when there is no such delivery in these namespaces. */
  redeliver(deliveryId: string, now: Date, maxAgeMs: number, namespaces: string[] | undefined): Promise<Delivery | undefined>;

  // Notifications
  /** Stores a rule and marks the unfinished runs it watches. */
  createNotificationRule(rule: NotificationRule): Promise<void>;
  listNotificationRules(filter: { taskId?: string; queue?: string; namespaces?: string[] }): Promise<NotificationRule[]>;
  deleteNotificationRule(ruleId: string, namespaces: string[] | undefined): Promise<boolean>;
  /** Claims rules with unsent events whose group window has passed, stamping them sent at `now`. */
  claimDueNotifications(now: Date, limit: number, eventsPerMessage: number, leaseMs: number): Promise<DueNotification[]>;
  /** Marks a claim's events sent, or records why the message failed (they go in the next window). */
  finishNotification(ruleId: string, eventIds: string[], error: string | undefined, now: Date): Promise<void>;

  // Encryption at rest
  /** The data key of each task, or of each run's task, keyed by the id given. */
  dataKeys(by: "task" | "run", ids: string[]): Promise<Map<string, TaskDataKey>>;
  /** Encrypted tasks' data keys in task id order after `afterTaskId`. */
  dataKeyPage(afterTaskId: string | undefined, limit: number): Promise<TaskDataKey[]>;
  /** Swaps data keys still equal to `from`; returns how many were swapped. */
  replaceDataKeys(changes: { taskId: string; from: Uint8Array; to: Uint8Array }[]): Promise<number>;
  /** Encrypted tasks whose data key is wrapped by a key other than `keyId`. */
  countDataKeysNotUnder(keyId: string): Promise<number>;
  anyTaskEncrypted(): Promise<boolean>;

  // Audit
  /** Records an audit event on its own (a refusal, or a call that changed nothing). */
  appendAudit(event: Omit<AuditEvent, "sequence">): Promise<void>;
  listAuditEvents(filter: AuditFilter, pageSize: number, pageToken: string): Promise<Page<AuditEvent>>;

  close(): Promise<void>;
}

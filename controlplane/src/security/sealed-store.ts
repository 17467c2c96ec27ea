// Encryption at rest, as a Store decorator: what the domain hands the store is sealed on the way
// in and opened on the way out, so neither the domain nor the SQL knows about it. Each new task
// gets its own data key, wrapped by the key ring's newest key and stored with the task; the
// task's payload, its runs' payload overrides and outputs, the error messages workers report,
// its logs and its callback events are sealed with it. Tasks created before encryption was
// turned on stay readable as they were.
import type { Assignment, LogEntry, Payload, Run, RunError, Task } from "../domain/model.js";
import type { AttemptFailure, NewRun, Store } from "../store/store.js";
import { DecryptionError, dataKeyAad, newDataKey, openWith, payloadAad, sealWith, type PayloadField } from "./envelope.js";
import type { KeyRing } from "./key-ring.js";
import { TaskKeys, type TaskKey } from "./task-keys.js";

export function sealedStore(store: Store, ring: KeyRing, options: { cachedKeys?: number } = {}): Store {
  const keys = new TaskKeys(store, ring, options.cachedKeys);
  const overrides: Partial<Store> = {
    async createTasks(items) {
      const sealed = items.map(({ task, firstRun }) => {
        const { plaintextKey, wrapped } = newDataKey(ring, dataKeyAad(task.spec.namespace, task.id));
        const key = { taskId: task.id, namespace: task.spec.namespace, key: plaintextKey };
        // Its first claim, likely soon, then needs no unwrap.
        keys.remember(task.id, key);
        return {
          task: { ...task, dataKey: wrapped, spec: { ...task.spec, payload: sealPayload(key, "payload", task.spec.payload) } },
          firstRun: firstRun && sealNewRun(firstRun, key),
        };
      });
      const created = await store.createTasks(sealed);
      // A task made now is answered with the payload it was given; one that existed (its
      // idempotency key was taken) is opened like any read.
      const given = new Map(items.map((i) => [i.task.id, i.task.spec.payload]));
      return Promise.all(
        created.map(async (c) => ({
          ...c,
          task: c.existing ? openTask(keys, c.task) : { ...c.task, spec: { ...c.task.spec, payload: given.get(c.task.id)! } },
          firstRun: c.firstRun && (await openRuns(keys, [c.firstRun]))[0],
        })),
      );
    },
    getTask: async (taskId) => maybe(await store.getTask(taskId), (t) => openTask(keys, t)),
    listTasks: async (filter, pageSize, pageToken) => {
      const page = await store.listTasks(filter, pageSize, pageToken);
      return { ...page, items: page.items.map((t) => openTask(keys, t)) };
    },
    changeTaskState: async (change) => {
      const sealed = { ...change, nextRun: change.nextRun && (await sealNewRuns(keys, [change.nextRun]))[0], records: change.records && (await sealNewRuns(keys, change.records)) };
      return maybe(await store.changeTaskState(sealed), (r) => ({ ...r, task: openTask(keys, r.task) }));
    },
    updateTaskCallback: async (taskId, callback, now) => maybe(await store.updateTaskCallback(taskId, callback, now), (t) => openTask(keys, t)),
    // recurringTasksWithoutNextRun is left sealed: the scheduler reads schedules, never payloads.

    insertRun: async (run) => maybe(await store.insertRun((await sealNewRuns(keys, [run]))[0]!), async (r) => (await openRuns(keys, [r]))[0]!),
    backfillRuns: async (runs, now) => store.backfillRuns(await sealNewRuns(keys, runs), now),
    applyFirePlan: async (plan, now, fence) => store.applyFirePlan({ ...plan, next: await sealNewRuns(keys, plan.next) }, now, fence),
    getRun: async (runId) => maybe(await store.getRun(runId), async (r) => (await openRuns(keys, [r]))[0]!),
    listRuns: async (filter, pageSize, pageToken) => {
      const page = await store.listRuns(filter, pageSize, pageToken);
      return { ...page, items: await openRuns(keys, page.items) };
    },
    reopenRun: async (runId, extraAttempts, now) => maybe(await store.reopenRun(runId, extraAttempts, now), async (r) => (await openRuns(keys, [r]))[0]!),

    claimRuns: async (runIds, workerId, startTime) => {
      const claimed = await store.claimRuns(runIds, workerId, startTime);
      try {
        return await openAssignments(keys, claimed);
      } catch (e) {
        if (!(e instanceof DecryptionError)) throw e;
        return openEachOrFail(store, keys, claimed, startTime);
      }
    },
    completeAttempts: async (reports, now) => {
      // An empty output says nothing: it is stored as it is, and costs no lookup.
      const withOutput = reports.filter((r) => hasData(r.output));
      if (withOutput.length === 0) return store.completeAttempts(reports, now);
      const byRun = await keys.ofRuns(withOutput.map((r) => r.runId));
      return store.completeAttempts(
        reports.map((r) => maybe(hasData(r.output) ? byRun.get(r.runId) : undefined, (key) => ({ ...r, output: sealPayload(key, "output", r.output!) })) ?? r),
        now,
      );
    },
    failAttempts: async (reports, now, decide) => {
      const byRun = await keys.ofRuns(reports.map((r) => r.runId));
      return store.failAttempts(
        reports.map((r) => maybe(byRun.get(r.runId), (key) => ({ ...r, error: sealError(key, r.error) })) ?? r),
        now,
        decide,
      );
    },
    appendLogs: async (runId, attempt, lines) => {
      const key = (await keys.ofRuns([runId])).get(runId);
      return store.appendLogs(runId, attempt, key ? lines.map((l) => ({ ...l, message: sealText(key, "log", l.message) })) : lines);
    },
    listRunLogs: async (runId, afterSequence, limit) => {
      const key = (await keys.ofRuns([runId])).get(runId);
      const entries = await store.listRunLogs(runId, afterSequence, limit);
      return key ? entries.map((e): LogEntry => ({ ...e, message: openText(key, "log", e.message) })) : entries;
    },
    claimDueDeliveries: async (now, limit, leaseMs, maxAgeMs) => {
      const due = await store.claimDueDeliveries(now, limit, leaseMs, maxAgeMs);
      const runs = await openRuns(keys, due.map((d) => d.run));
      const byTask = await keys.ofTasks(due.filter((d) => d.body).map((d) => d.delivery.taskId));
      return due.map((d, i) => ({ ...d, run: runs[i]!, body: maybe(d.body, (b) => maybe(byTask.get(d.delivery.taskId), (key) => openText(key, "event", b)) ?? b) }));
    },
    recordDeliveryAttempt: async (result) => {
      const key = (await keys.ofTasks([result.taskId])).get(result.taskId);
      return store.recordDeliveryAttempt(key ? { ...result, body: sealText(key, "event", result.body) } : result);
    },
    claimDueNotifications: async (now, limit, eventsPerMessage, leaseMs) => {
      const due = await store.claimDueNotifications(now, limit, eventsPerMessage, leaseMs);
      const byTask = await keys.ofTasks(due.flatMap((n) => n.events.filter((e) => e.detail).map((e) => e.taskId)));
      return due.map((n) => ({
        ...n,
        events: n.events.map((e) => maybe(e.detail ? byTask.get(e.taskId) : undefined, (key) => ({ ...e, detail: openText(key, "error", e.detail!) })) ?? e),
      }));
    },
  };
  return new Proxy(store, {
    get(target, name, receiver) {
      if (Object.hasOwn(overrides, name)) return overrides[name as keyof Store];
      const value = Reflect.get(target, name, receiver) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function sealPayload(key: TaskKey, field: PayloadField, payload: Payload): Payload {
  return { ...payload, data: sealWith(key.key, payload.data, payloadAad(key.namespace, key.taskId, field)) };
}

function openPayload(key: TaskKey, field: PayloadField, payload: Payload): Payload {
  return { ...payload, data: new Uint8Array(openWith(key.key, payload.data, payloadAad(key.namespace, key.taskId, field))) };
}

/**
 * Text fields (log lines, error messages, event bodies) are text in the store: sealed ones are
 * base64 behind a marker, since the store writes some messages itself (timeouts, lateness), in
 * the clear. A worker's own text is always sealed, so it cannot pass for a store message.
 */
const SEALED_TEXT = "tp-sealed:v1:";
const sealText = (key: TaskKey, field: PayloadField, text: string) =>
  SEALED_TEXT + sealWith(key.key, Buffer.from(text, "utf8"), payloadAad(key.namespace, key.taskId, field)).toString("base64");
const openText = (key: TaskKey, field: PayloadField, text: string) =>
  text.startsWith(SEALED_TEXT) ? openWith(key.key, Buffer.from(text.slice(SEALED_TEXT.length), "base64"), payloadAad(key.namespace, key.taskId, field)).toString("utf8") : text;

const sealError = (key: TaskKey, error: RunError): RunError => ({ ...error, message: sealText(key, "error", error.message) });
const openError = (key: TaskKey, error: RunError | undefined) => error && { ...error, message: openText(key, "error", error.message) };

function openTask(keys: TaskKeys, task: Task): Task {
  const key = keys.of({ taskId: task.id, namespace: task.spec.namespace, dataKey: task.dataKey });
  return key ? { ...task, spec: { ...task.spec, payload: openPayload(key, "payload", task.spec.payload) } } : task;
}

const sealNewRun = (run: NewRun, key: TaskKey): NewRun => (run.payloadOverride ? { ...run, payloadOverride: sealPayload(key, "payload", run.payloadOverride) } : run);

/** Seals the runs' payload overrides; runs without one (every scheduled fire) need no lookup. */
async function sealNewRuns(keys: TaskKeys, runs: NewRun[]): Promise<NewRun[]> {
  const overriding = runs.filter((r) => r.payloadOverride);
  if (overriding.length === 0) return runs;
  const byTask = await keys.ofTasks(overriding.map((r) => r.taskId));
  return runs.map((r) => maybe(byTask.get(r.taskId), (key) => sealNewRun(r, key)) ?? r);
}

/** Opens runs' outputs and error messages (the run's and each attempt's); runs with neither need no lookup. */
async function openRuns(keys: TaskKeys, runs: Run[]): Promise<Run[]> {
  const sealed = runs.filter((r) => hasData(r.output) || r.error || r.attempts.some((a) => a.error));
  if (sealed.length === 0) return runs;
  const byTask = await keys.ofTasks(sealed.map((r) => r.taskId));
  return runs.map(
    (r) =>
      maybe(byTask.get(r.taskId), (key) => ({
        ...r,
        output: hasData(r.output) ? openPayload(key, "output", r.output!) : r.output,
        error: openError(key, r.error),
        attempts: r.attempts.map((a) => (a.error ? { ...a, error: openError(key, a.error) } : a)),
      })) ?? r,
  );
}

/**
 * Opens claimed attempts one by one. One whose payload will not open (its key is gone, or the
 * data was altered) fails at once, not retried, saying why, rather than taking the others down
 * or waiting out its lease; RetryTask runs it again once the key is back.
 */
async function openEachOrFail(store: Store, keys: TaskKeys, claimed: Assignment[], now: Date): Promise<Assignment[]> {
  const opened: Assignment[] = [];
  const unreadable: AttemptFailure[] = [];
  for (const a of claimed) {
    try {
      opened.push(...(await openAssignments(keys, [a])));
    } catch (e) {
      if (!(e instanceof DecryptionError)) throw e;
      unreadable.push({ runId: a.runId, attempt: a.attempt, error: { type: "DataLoss", message: `the payload could not be decrypted: ${e.message}`, nonRetryable: true } });
    }
  }
  await store.failAttempts(unreadable, now, () => ({ state: "FAILED" }));
  return opened;
}

/** Claims carry their task's wrapped key, so opening them needs no lookup. */
async function openAssignments(keys: TaskKeys, assignments: Assignment[]): Promise<Assignment[]> {
  return assignments.map(({ sealing, ...a }) =>
    sealing ? { ...a, payload: openPayload(keys.of({ taskId: a.taskId, ...sealing })!, "payload", a.payload) } : a,
  );
}

const hasData = (payload: Payload | undefined) => (payload?.data.length ?? 0) > 0;

function maybe<T, R>(value: T | undefined, f: (v: T) => R): R | undefined {
  return value === undefined ? undefined : f(value);
}

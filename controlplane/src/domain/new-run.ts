import { randomUUID } from "node:crypto";
import type { Payload, Priority, RunTrigger } from "./model.js";
import type { NewRun } from "../store/store.js";
import { jitteredDueTime } from "./jitter.js";

/**
 * A run of a task at a scheduled time, with the task's dispatch fields copied onto it; a
 * scheduled fire is due after the schedule's jitter.
 */
export function newRun(
  task: { id: string; spec: { namespace: string; type: string; queue: string; priority: Priority; retry: { maxAttempts: number }; schedule: { jitterMs: number } } },
  scheduledTime: Date,
  trigger: RunTrigger,
  extra: { traceparent?: string; payloadOverride?: Payload; dueTime?: Date } = {},
): NewRun {
  const jitterMs = trigger === "SCHEDULE" ? task.spec.schedule.jitterMs : 0;
  return {
    dueTime: jitterMs > 0 ? jitteredDueTime(task.id, scheduledTime, jitterMs) : undefined,
    id: randomUUID(),
    namespace: task.spec.namespace,
    taskId: task.id,
    taskType: task.spec.type,
    queue: task.spec.queue,
    priority: task.spec.priority,
    trigger,
    scheduledTime,
    maxAttempts: task.spec.retry.maxAttempts,
    ...extra,
  };
}

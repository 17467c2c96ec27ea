import { randomUUID } from "node:crypto";
import type { Payload, Priority, RunTrigger } from "./model.js";
import type { NewRun } from "../store/store.js";

/** A run of a task at a scheduled time, with the task's dispatch fields copied onto it. */
export function newRun(
  task: { id: string; spec: { type: string; queue: string; priority: Priority; retry: { maxAttempts: number } } },
  scheduledTime: Date,
  trigger: RunTrigger,
  extra: { traceparent?: string; payloadOverride?: Payload } = {},
): NewRun {
  return {
    id: randomUUID(),
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

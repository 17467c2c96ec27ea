// The JSON a callback POSTs, in the Standard Webhooks shape {type, timestamp, data}.
import type { CallbackEvent } from "../domain/model.js";
import type { DueDelivery } from "../store/store.js";

export const EVENT_TYPES: Record<CallbackEvent, string> = {
  RUN_SUCCEEDED: "run.succeeded",
  RUN_FAILED: "run.failed",
  RUN_CANCELLED: "run.cancelled",
  ATTEMPT_FAILED: "attempt.failed",
};

export function callbackEventBody({ delivery, run, taskLabels }: DueDelivery): string {
  const attempt = run.attempts.find((a) => a.number === delivery.attempt);
  const startTime = attempt?.startTime ?? run.startTime;
  const endTime = attempt?.endTime ?? run.endTime;
  const failure = delivery.event === "RUN_FAILED" || delivery.event === "ATTEMPT_FAILED";
  const error = failure ? (attempt?.error ?? run.error) : undefined;
  const output = delivery.event === "RUN_SUCCEEDED" ? run.output : undefined;
  return JSON.stringify({
    type: EVENT_TYPES[delivery.event],
    timestamp: (endTime ?? delivery.createTime).toISOString(),
    data: {
      taskId: run.taskId,
      taskType: run.taskType,
      queue: run.queue,
      labels: taskLabels,
      runId: run.id,
      trigger: run.trigger,
      scheduledTime: run.scheduledTime.toISOString(),
      attempt: delivery.attempt,
      maxAttempts: run.maxAttempts,
      state: delivery.runState,
      willRetry: delivery.runState === "RETRYING",
      startTime: startTime?.toISOString(),
      endTime: endTime?.toISOString(),
      durationMs: startTime && endTime ? endTime.getTime() - startTime.getTime() : undefined,
      output: output && {
        contentType: output.contentType,
        data: Buffer.from(output.data).toString("base64"),
        json: output.contentType === "application/json" ? parseJson(output.data) : undefined,
      },
      error,
      reason: delivery.event === "RUN_CANCELLED" ? run.reason : undefined,
      traceId: run.traceparent?.split("-")[1],
    },
  });
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString("utf8"));
  } catch {
    return undefined;
  }
}

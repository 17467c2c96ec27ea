// WorkerService handlers: long-poll through the Dispatcher, reports through RunReports.
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { PollTasksResponseSchema, type WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { create } from "@bufbuild/protobuf";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { WorkerPresence } from "../dispatch/worker-presence.js";
import type { Clock } from "../domain/clock.js";
import { DEFAULT_QUEUE } from "../domain/defaults.js";
import { DEFAULT_NAMESPACE } from "../domain/model.js";
import type { RunReports } from "../domain/run-reports.js";
import { principalKey } from "./auth-interceptor.js";
import { assignmentToProto, dateOf, durationMs, payloadFromProto, runErrorFromProto } from "./convert.js";

const DEFAULT_POLL_WAIT_MS = 30_000;

export function workerService(dispatcher: Dispatcher, presence: WorkerPresence, reports: RunReports, clock: Clock): ServiceImpl<typeof WorkerService> {
  return {
    async pollTasks(req, ctx) {
      const worker = { workerId: req.workerId, namespace: req.namespace || DEFAULT_NAMESPACE, queue: req.queue || DEFAULT_QUEUE, taskTypes: req.taskTypes };
      presence.seen({ ...worker, principal: ctx.values.get(principalKey)?.subject ?? "" });
      return dispatcher.poll(
        {
          ...worker,
          maxTasks: req.maxTasks || 1,
          waitMs: durationMs(req.wait) || DEFAULT_POLL_WAIT_MS,
          waitsForStartTime: req.waitsForStartTime,
        },
        ctx.signal,
        (claimed, answeredAt) =>
          create(PollTasksResponseSchema, { assignments: claimed.map(assignmentToProto), serverTime: timestampFromDate(answeredAt) }),
      );
    },
    async shutdownWorker(req) {
      return { pollsAnswered: dispatcher.shutdownWorker(req.workerId, req.namespace || DEFAULT_NAMESPACE) };
    },
    async heartbeat(req) {
      const lease = await reports.heartbeat(req.runId, req.attempt, req.details.length ? req.details : undefined);
      return { cancelRequested: lease.cancelRequested, leaseExpireTime: timestampFromDate(lease.leaseExpiresAt) };
    },
    async completeRun(req) {
      await reports.complete(req.runId, req.attempt, payloadFromProto(req.output));
      return {};
    },
    async failRun(req) {
      const outcome = await reports.fail(req.runId, req.attempt, runErrorFromProto(req.error));
      return {
        willRetry: outcome.ok && outcome.willRetry,
        nextAttemptTime: outcome.ok && outcome.nextAttemptTime ? timestampFromDate(outcome.nextAttemptTime) : undefined,
      };
    },
    async reportRuns(req) {
      const outcomes = await reports.report(
        req.reports.map((r) =>
          r.result.case === "error"
            ? { runId: r.runId, attempt: r.attempt, error: runErrorFromProto(r.result.value) }
            : { runId: r.runId, attempt: r.attempt, output: payloadFromProto(r.result.value) },
        ),
      );
      return {
        results: outcomes.map((o, i) => ({
          runId: req.reports[i]!.runId,
          accepted: o.ok,
          willRetry: o.ok && o.willRetry,
          refusal: o.ok ? "" : o.refusal === "stale" ? "attempt is no longer current" : "run not found",
        })),
      };
    },
    async appendLogs(req) {
      const now = clock.now();
      await reports.appendLogs(
        req.runId,
        req.attempt,
        req.lines.map((l) => ({ time: dateOf(l.time) ?? now, message: l.message })),
      );
      return {};
    },
  };
}

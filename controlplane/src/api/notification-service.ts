// NotificationService handlers: convert, call NotificationOperations, convert back.
import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import * as pb from "@taskplane/proto/taskplane/v1/notification_service_pb.js";
import { DEFAULT_NAMESPACE } from "../domain/model.js";
import type * as d from "../domain/model.js";
import type { NotificationOperations } from "../domain/notification-operations.js";
import { scopeOf } from "./auth-interceptor.js";
import { durationMs, enumName, enumValue } from "./convert.js";

const DEFAULT_LATE_AFTER_MS = 60_000;
const DEFAULT_GROUP_WINDOW_MS = 300_000;

export function notificationService(rules: NotificationOperations): ServiceImpl<typeof pb.NotificationService> {
  return {
    async createNotificationRule(req, ctx) {
      return { rule: ruleToProto(await rules.create(ruleSpecFromProto(req.rule!), scopeOf(ctx))) };
    },
    async listNotificationRules(req, ctx) {
      return { rules: (await rules.list({ taskId: req.taskId || undefined, queue: req.queue || undefined }, scopeOf(ctx))).map(ruleToProto) };
    },
    async deleteNotificationRule(req, ctx) {
      await rules.delete(req.ruleId, scopeOf(ctx));
      return {};
    },
  };
}

function ruleSpecFromProto(spec: pb.NotificationRuleSpec): d.NotificationRuleSpec {
  return {
    namespace: spec.namespace || DEFAULT_NAMESPACE,
    taskId: spec.scope.case === "taskId" ? spec.scope.value : undefined,
    queue: spec.scope.case === "queue" ? spec.scope.value : undefined,
    events: spec.events.map((e) => enumName<d.NotificationEvent>(pb.NotificationEventSchema, e, "ATTEMPT_FAILED")),
    channel: channelFromProto(spec.channel),
    lateAfterMs: durationMs(spec.lateAfter) || DEFAULT_LATE_AFTER_MS,
    groupWindowMs: durationMs(spec.groupWindow) || DEFAULT_GROUP_WINDOW_MS,
  };
}

function channelFromProto(channel: pb.NotificationRuleSpec["channel"]): d.NotificationChannel {
  switch (channel.case) {
    case "slack":
      return { kind: "slack", webhookUrl: channel.value.webhookUrl };
    case "email":
      return { kind: "email", to: [...channel.value.to] };
    case "webhook":
      return { kind: "webhook", url: channel.value.url };
    default:
      // buf.validate requires a channel, so the interceptor has refused this request already.
      throw new Error("a notification rule needs a channel");
  }
}

function ruleToProto(r: d.NotificationRule): MessageInitShape<typeof pb.NotificationRuleSchema> {
  const c = r.channel;
  return {
    id: r.id,
    spec: {
      namespace: r.namespace,
      scope: r.taskId ? { case: "taskId", value: r.taskId } : { case: "queue", value: r.queue! },
      events: r.events.map((e) => enumValue(pb.NotificationEventSchema, e)),
      channel:
        c.kind === "slack"
          ? { case: "slack", value: { webhookUrl: c.webhookUrl } }
          : c.kind === "email"
            ? { case: "email", value: { to: c.to } }
            : { case: "webhook", value: { url: c.url } },
      lateAfter: durationFromMs(r.lateAfterMs),
      groupWindow: durationFromMs(r.groupWindowMs),
    },
    createTime: timestampFromDate(r.createTime),
    lastSentTime: r.lastSentTime && timestampFromDate(r.lastSentTime),
    lastError: r.lastError ?? "",
  };
}

// What users do to notification rules: create (checked against what the server can send), list, delete.
import { randomUUID } from "node:crypto";
import type { Store } from "../store/store.js";
import type { Clock } from "./clock.js";
import { NotFoundError } from "./errors.js";
import type { NotificationChannel, NotificationRule, NotificationRuleSpec } from "./model.js";

/** What the domain asks of the notifications module: whether a channel can ever be sent to. */
export interface ChannelPolicy {
  /** Throws InvalidArgumentError or FailedPreconditionError for a channel that could never work. */
  check(channel: NotificationChannel): void;
}

export class NotificationOperations {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly channels: ChannelPolicy,
  ) {}

  async create(spec: NotificationRuleSpec): Promise<NotificationRule> {
    if (spec.taskId) {
      const task = await this.store.getTask(spec.taskId);
      if (!task || task.state === "DELETED") throw new NotFoundError(`task ${spec.taskId} not found`);
    }
    this.channels.check(spec.channel);
    const rule: NotificationRule = { ...spec, id: randomUUID(), createTime: this.clock.now() };
    await this.store.createNotificationRule(rule);
    return rule;
  }

  list(filter: { taskId?: string; queue?: string }): Promise<NotificationRule[]> {
    return this.store.listNotificationRules(filter);
  }

  async delete(ruleId: string): Promise<void> {
    if (!(await this.store.deleteNotificationRule(ruleId))) throw new NotFoundError(`notification rule ${ruleId} not found`);
  }
}

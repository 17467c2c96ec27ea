// What users do to notification rules: create (checked against what the server can send), list, delete.
import { randomUUID } from "node:crypto";
import type { Store } from "../store/store.js";
import type { Clock } from "./clock.js";
import { NotFoundError } from "./errors.js";
import type { NotificationChannel, NotificationRule, NotificationRuleSpec } from "./model.js";
import type { Scope } from "./scope.js";

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

  async create(spec: NotificationRuleSpec, scope: Scope): Promise<NotificationRule> {
    let namespace = spec.namespace;
    if (spec.taskId) {
      const task = await this.store.getTask(spec.taskId);
      namespace = scope.see(task?.state === "DELETED" ? undefined : task, (t) => t.spec.namespace, `task ${spec.taskId} not found`).spec.namespace;
    }
    scope.mayWrite(namespace);
    this.channels.check(spec.channel);
    const rule: NotificationRule = { ...spec, namespace, id: randomUUID(), createTime: this.clock.now() };
    await this.store.createNotificationRule(rule);
    return rule;
  }

  list(filter: { taskId?: string; queue?: string }, scope: Scope): Promise<NotificationRule[]> {
    return this.store.listNotificationRules({ ...filter, namespaces: scope.filter() });
  }

  async delete(ruleId: string, scope: Scope): Promise<void> {
    if (!(await this.store.deleteNotificationRule(ruleId, scope.filter()))) throw new NotFoundError(`notification rule ${ruleId} not found`);
  }
}

// What users do to callbacks: change a task's, read its deliveries, send one again.
import type { DeliveryFilter, Store } from "../store/store.js";
import type { CallbackPolicy } from "./callback-policy.js";
import type { Clock } from "./clock.js";
import { InvalidArgumentError, NotFoundError } from "./errors.js";
import type { Callback, Delivery, Page, Task } from "./model.js";
import type { Scope } from "./scope.js";

export class CallbackOperations {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly policy: CallbackPolicy,
  ) {}

  /** Sets or (with undefined) removes a task's callback; events already recorded keep their URL. */
  async update(taskId: string, callback: Callback | undefined, scope: Scope): Promise<Task> {
    const current = await this.taskInScope(taskId, scope);
    if (callback) this.policy.check(callback, current.spec.namespace);
    const task = await this.store.updateTaskCallback(taskId, callback, this.clock.now());
    if (!task) throw new NotFoundError(`task ${taskId} not found`);
    return task;
  }

  async list(filter: DeliveryFilter, pageSize: number, pageToken: string, scope: Scope): Promise<Page<Delivery>> {
    if (!filter.taskId && !filter.runId) throw new InvalidArgumentError("task_id or run_id: name the task or run whose deliveries to list");
    if (filter.taskId) await this.taskInScope(filter.taskId, scope);
    if (filter.runId) scope.see(await this.store.getRun(filter.runId), (r) => r.namespace, `run ${filter.runId} not found`);
    return this.store.listDeliveries(filter, pageSize, pageToken);
  }

  /** Sends an event again now, with its webhook-id, and retries it for a fresh window. */
  async redeliver(deliveryId: string, scope: Scope): Promise<Delivery> {
    const delivery = await this.store.redeliver(deliveryId, this.clock.now(), this.policy.retryWindowMs, scope.filter());
    if (!delivery) throw new NotFoundError(`delivery ${deliveryId} not found`);
    return delivery;
  }

  private async taskInScope(taskId: string, scope: Scope): Promise<Task> {
    const task = await this.store.getTask(taskId);
    return scope.see(task?.state === "DELETED" ? undefined : task, (t) => t.spec.namespace, `task ${taskId} not found`);
  }
}

// What users do to callbacks: change a task's, read its deliveries, send one again.
import type { DeliveryFilter, Store } from "../store/store.js";
import type { CallbackPolicy } from "./callback-policy.js";
import type { Clock } from "./clock.js";
import { InvalidArgumentError, NotFoundError } from "./errors.js";
import type { Callback, Delivery, Page, Task } from "./model.js";

export class CallbackOperations {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly policy: CallbackPolicy,
  ) {}

  /** Sets or (with undefined) removes a task's callback; events already recorded keep their URL. */
  async update(taskId: string, callback: Callback | undefined): Promise<Task> {
    if (callback) this.policy.check(callback);
    const task = await this.store.updateTaskCallback(taskId, callback, this.clock.now());
    if (!task) throw new NotFoundError(`task ${taskId} not found`);
    return task;
  }

  list(filter: DeliveryFilter, pageSize: number, pageToken: string): Promise<Page<Delivery>> {
    if (!filter.taskId && !filter.runId) throw new InvalidArgumentError("task_id or run_id: name the task or run whose deliveries to list");
    return this.store.listDeliveries(filter, pageSize, pageToken);
  }

  /** Sends an event again now, with its webhook-id, and retries it for a fresh window. */
  async redeliver(deliveryId: string): Promise<Delivery> {
    const delivery = await this.store.redeliver(deliveryId, this.clock.now(), this.policy.retryWindowMs);
    if (!delivery) throw new NotFoundError(`delivery ${deliveryId} not found`);
    return delivery;
  }
}

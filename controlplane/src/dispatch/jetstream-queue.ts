// The cluster RunQueue: due runs travel over NATS JetStream to every replica. One work-queue
// stream, subjects taskplane.runs.<queue>.<priority>, and one durable pull consumer per queue and
// priority shared by all replicas (nats-server 2.9 has no multi-filter consumers). Each replica
// consumes into a small local buffer, the in-process queue, which hands runs to its own polls with
// the same priority order and starvation guard as single-node dispatch. A message is acked only
// once its run's claim is written in Postgres (or the run turned out no longer pending); a
// message no local poll takes in time is given back for other replicas.
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type ConsumerMessages, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { PRIORITIES } from "../domain/model.js";
import type { DispatchRun } from "../store/store.js";
import { InProcessRunQueue } from "./in-process-queue.js";
import type { RunQueue, TakeFilter } from "./run-queue.js";

const STREAM = "TASKPLANE_RUNS";
const SUBJECTS = "taskplane.runs.>";
/** A republish of the same run attempt within this window is dropped by the server. */
const DUPLICATE_WINDOW_MS = 20_000;
/** How long a message may sit in one replica's buffer before it is given back. */
const HOLD_MS = 3_000;
/**
 * Unacked messages are redelivered after this: what a replica that died held comes back this late.
 * Longer than HOLD_MS plus a claim, so a live replica always settles first.
 */
export const ACK_WAIT_MS = 6_000;
/** Messages each consumer keeps buffered per replica. */
const BUFFER = 256;

export interface JetStreamQueueOptions {
  servers: string[];
  /** Copies of the stream a NATS cluster keeps (3 in a three-node cluster) [1]. */
  streamReplicas?: number;
  logger: Logger;
}

export class JetStreamRunQueue implements RunQueue {
  private readonly local = new InProcessRunQueue();
  private readonly messages = new Map<string, { msg: JsMsg; at: number }>();
  private readonly consuming = new Map<string, ConsumerMessages[]>();
  private readonly sweeper: NodeJS.Timeout;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
  ) {
    this.sweeper = setInterval(() => this.giveBackStale(), 1_000);
  }

  static async connect(options: JetStreamQueueOptions): Promise<JetStreamRunQueue> {
    const nc = await connect({ servers: options.servers, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    const jsm = await jetstreamManager(nc);
    const stream = {
      name: STREAM,
      subjects: [SUBJECTS],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      num_replicas: options.streamReplicas ?? 1,
    };
    await jsm.streams.add(stream).catch(() => jsm.streams.update(STREAM, stream));
    return new JetStreamRunQueue(nc, jetstream(nc), options.logger);
  }

  push(runs: DispatchRun[]): void {
    for (const run of runs) {
      const subject = `taskplane.runs.${run.queue}.${PRIORITIES.indexOf(run.priority)}`;
      // The due time tells attempts of one run apart: a retry is due later than the attempt before.
      const msgID = `${run.id}:${run.dueTime.getTime()}`;
      this.js.publish(subject, JSON.stringify(run), { msgID }).catch((e: unknown) => {
        this.logger.warn({ err: e, runId: run.id }, "publishing a due run failed; it will be republished from Postgres");
      });
    }
  }

  async take(filter: TakeFilter, max: number, signal: AbortSignal): Promise<DispatchRun[]> {
    await this.consume(filter.queue);
    return this.local.take(filter, max, signal);
  }

  settle(runIds: string[]): void {
    for (const id of runIds) {
      this.messages.get(id)?.msg.ack();
      this.messages.delete(id);
    }
  }

  waitingAmong(runIds: string[]): string[] {
    // Another replica may hold any of them: all still count as waiting for a worker.
    return runIds;
  }

  putBack(runs: DispatchRun[]): void {
    this.local.putBack(runs);
  }

  depths() {
    return this.local.depths();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.local.close();
    for (const iterators of this.consuming.values()) for (const it of iterators) void it.close();
    for (const { msg } of this.messages.values()) msg.nak();
    this.messages.clear();
    void this.nc.drain().catch(() => {});
  }

  /** Starts consuming a queue's priority consumers into the local buffer, once per queue. */
  private async consume(queue: string): Promise<void> {
    if (this.consuming.has(queue)) return;
    this.consuming.set(queue, []);
    const jsm = await jetstreamManager(this.nc);
    for (const [index] of PRIORITIES.entries()) {
      const durable = `runs_${queue}_${index}`;
      await jsm.consumers
        .add(STREAM, {
          durable_name: durable,
          filter_subject: `taskplane.runs.${queue}.${index}`,
          ack_policy: AckPolicy.Explicit,
          ack_wait: nanos(ACK_WAIT_MS),
          max_ack_pending: 100_000,
        })
        .catch(() => {});
      const consumer = await this.js.consumers.get(STREAM, durable);
      const messages = await consumer.consume({ max_messages: BUFFER });
      this.consuming.get(queue)!.push(messages);
      void this.drainInto(messages);
    }
  }

  private async drainInto(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      const raw = msg.json<DispatchRun & { dueTime: string }>();
      const run: DispatchRun = { ...raw, dueTime: new Date(raw.dueTime) };
      const previous = this.messages.get(run.id);
      if (previous) previous.msg.ack(); // a redelivery or republish of a run already buffered here
      this.messages.set(run.id, { msg, at: Date.now() });
      this.local.push([run]);
    }
  }

  /** Gives back messages no local poll took in time, so replicas whose workers want them get them. */
  private giveBackStale(): void {
    const before = Date.now() - HOLD_MS;
    const stale = [...this.messages.entries()].filter(([, m]) => m.at < before).map(([id]) => id);
    for (const id of this.local.waitingAmong(stale)) {
      this.local.remove(id);
      this.messages.get(id)!.msg.nak();
      this.messages.delete(id);
    }
  }
}

// The cluster RunQueue: due runs travel over NATS JetStream to every replica. One work-queue
// stream, subjects taskplane.runs.<queue>.<priority>, and one durable pull consumer per queue and
// priority shared by all replicas (nats-server 2.9 has no multi-filter consumers). Each replica
// pulls only as many messages as it has polls waiting (see DemandPuller) into a small local
// buffer, the in-process queue, which hands runs to its own polls with the same priority order and
// starvation guard as single-node dispatch. Runs that fall due together travel together, up to
// MAX_BATCH to a message, so a fire costs one acked publish per queue and priority rather than one
// per run. A message is acked once every run in it is settled (claimed in Postgres, or found no
// longer pending); a message with runs no local poll took in time is given back for other
// replicas, and any of its runs already claimed are dropped on redelivery.
import { recordRunStep } from "../telemetry/tracing.js";
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type Consumer, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import { millis, nanos, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { UnavailableError } from "../domain/errors.js";
import { PRIORITIES } from "../domain/model.js";
import type { DispatchRun } from "../store/store.js";
import { DemandPuller } from "./demand-puller.js";
import { InProcessRunQueue } from "./in-process-queue.js";
import { laneOf, type RunQueue, type TakeFilter } from "./run-queue.js";

const STREAM = "TASKPLANE_RUNS";
const SUBJECTS = "taskplane.runs.>";
/** A republish of the same run attempt within this window is dropped by the server. */
const DUPLICATE_WINDOW_MS = 20_000;
/** How long a message may sit in one replica's buffer before it is given back. */
const HOLD_MS = 3_000;
/**
 * How long a message none of whose runs a poll here took when it arrived is held (it came through a
 * pull left standing by a poll served from another priority, or for a poll of another task type):
 * a poll of this replica may still take it; otherwise another replica's waiting poll gets it.
 */
const UNWANTED_HOLD_MS = 100;
/** Messages no poll here took held per queue at most: past these, polls of another task type wait rather than pull on. */
const UNWANTED_MAX = 16;
/**
 * Unacked messages are redelivered after this: what a replica that died held comes back this late.
 * Longer than HOLD_MS plus a claim, so a live replica always settles first.
 */
export const ACK_WAIT_MS = 6_000;
/** Runs per message at most. */
const MAX_BATCH = 500;
/** Messages one consumer pulls at once at most, however small they have been. */
const MAX_PULL = 64;
/**
 * A pull answered with a message that was already in the stream found messages waiting; the lane's
 * pulls of the other priorities made with it (this close together) are given as long again to
 * answer, so a poll gets the highest priority first.
 */
const FRESH_PULL_MS = 5;

const subjectOf = (lane: string, priorityIndex: number) => `taskplane.runs.${lane}.${priorityIndex}`;

interface Batch {
  msg: JsMsg;
  /** Runs of this message not yet settled. */
  pending: Set<string>;
  at: number;
}

export interface JetStreamQueueOptions {
  servers: string[];
  /** Copies of the stream a NATS cluster keeps (3 in a three-node cluster) [1]. */
  streamReplicas?: number;
  logger: Logger;
}

export class JetStreamRunQueue implements RunQueue {
  private readonly local = new InProcessRunQueue({ onWaiting: (lane) => this.wakePullers(lane) });
  /** The message each buffered run came in. */
  private readonly batches = new Map<string, Batch>();
  /** Per lane, one puller per priority, once a poll has asked for the lane. */
  private readonly pullers = new Map<string, DemandPuller[]>();
  /** Per subject (queue and priority), the runs in the last message received: how many messages a waiting poll wants. */
  private readonly runsPerMessage = new Map<string, number>();
  /** Messages received and not yet handed to the local queue, pushed together so a poll gets the highest priority first. */
  private arrived: { lane: string; runs: DispatchRun[]; batch: Batch }[] = [];
  /** Per lane, messages held that no poll here took when they arrived, until they are given back. */
  private readonly unwanted = new Map<string, number>();
  private closed = false;
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
    const bySubject = new Map<string, DispatchRun[]>();
    for (const run of runs) {
      const subject = subjectOf(laneOf(run), PRIORITIES.indexOf(run.priority));
      const list = bySubject.get(subject);
      if (list) list.push(run);
      else bySubject.set(subject, [run]);
    }
    for (const [subject, all] of bySubject) {
      for (let i = 0; i < all.length; i += MAX_BATCH) {
        const batch = all.slice(i, i + MAX_BATCH);
        // The first run and its due time name the batch: the same fire published twice is dropped.
        const msgID = `${batch[0]!.id}:${batch[0]!.dueTime.getTime()}:${batch.length}`;
        for (const run of batch) recordRunStep("run.publish", run.traceparent, { "taskplane.run_id": run.id, "messaging.destination.name": subject });
        this.js.publish(subject, JSON.stringify(batch), { msgID }).catch((e: unknown) => {
          this.logger.warn({ err: e, runs: batch.length }, "publishing due runs failed; they will be republished from Postgres");
        });
      }
    }
  }

  async take(filter: TakeFilter, max: number, signal: AbortSignal): Promise<DispatchRun[]> {
    await this.consume(laneOf(filter));
    return this.local.take(filter, max, signal);
  }

  settle(runIds: string[]): void {
    for (const id of runIds) {
      const batch = this.batches.get(id);
      this.batches.delete(id);
      if (!batch) continue;
      batch.pending.delete(id);
      if (batch.pending.size === 0) batch.msg.ack();
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
    this.closed = true;
    clearInterval(this.sweeper);
    this.local.close();
    for (const pullers of this.pullers.values()) for (const p of pullers) p.stop();
    for (const batch of new Set(this.batches.values())) batch.msg.nak();
    this.batches.clear();
    void this.nc.drain().catch(() => {});
  }

  /** Starts pulling a lane's priority consumers into the local buffer, once per lane. */
  private async consume(lane: string): Promise<void> {
    if (this.pullers.has(lane)) return;
    this.pullers.set(lane, []);
    try {
      const consumers = await this.consumers(lane);
      if (this.closed) return;
      this.pullers.set(
        lane,
        consumers.map(
          (c, index) => new DemandPuller(c, () => this.messagesWanted(lane, subjectOf(lane, index)), (msg, pulledAt) => this.receive(msg, pulledAt)),
        ),
      );
    } catch (e) {
      // NATS may be down: the next poll for this lane tries again.
      this.pullers.delete(lane);
      throw new UnavailableError("cannot reach NATS JetStream to receive due runs; poll again", { cause: e });
    }
  }

  /** A lane's durable consumers, highest priority first, made if missing. */
  private async consumers(lane: string): Promise<Consumer[]> {
    const jsm = await jetstreamManager(this.nc);
    const consumers: Consumer[] = [];
    for (const [index] of PRIORITIES.entries()) {
      const durable = `runs_${lane}_${index}`;
      await jsm.consumers
        .add(STREAM, {
          durable_name: durable,
          filter_subject: subjectOf(lane, index),
          ack_policy: AckPolicy.Explicit,
          ack_wait: nanos(ACK_WAIT_MS),
          max_ack_pending: 100_000,
        })
        .catch(() => {});
      consumers.push(await this.js.consumers.get(STREAM, durable));
    }
    return consumers;
  }

  /**
   * Messages to pull from one subject for a lane's waiting polls: one each while its messages are
   * large (a burst, up to MAX_BATCH runs each, goes to as many polls as it fills), more while they
   * have been small; less those already received and about to be handed to them.
   */
  private messagesWanted(lane: string, subject: string): number {
    const perMessage = this.runsPerMessage.get(subject) ?? MAX_BATCH;
    const wanted = this.local.waitingIn(lane).reduce((n, max) => n + Math.ceil(max / perMessage), 0);
    const arriving = this.arrived.reduce((n, a) => n + (a.lane === lane ? 1 : 0), 0);
    return Math.min(wanted - arriving, MAX_PULL, UNWANTED_MAX - (this.unwanted.get(lane) ?? 0));
  }

  private receive(msg: JsMsg, pulledAt: number): void {
    const runs = msg.json<(DispatchRun & { dueTime: string })[]>().map((r) => ({ ...r, dueTime: new Date(r.dueTime) }));
    if (!runs[0]) return msg.ack();
    const lane = laneOf(runs[0]);
    this.runsPerMessage.set(msg.subject, runs.length);
    const batch: Batch = { msg, pending: new Set(), at: Date.now() };
    for (const run of runs) {
      recordRunStep("run.receive", run.traceparent, { "taskplane.run_id": run.id, "messaging.destination.name": msg.subject });
      // A run already buffered here from an earlier message now belongs to this one.
      const earlier = this.batches.get(run.id);
      if (earlier) this.settle([run.id]);
      batch.pending.add(run.id);
      this.batches.set(run.id, batch);
    }
    if (this.arrived.length === 0) {
      // After the wait, one more turn of the event loop reads answers that came meanwhile: a
      // loaded process runs its due timers before it reads its sockets.
      if (this.othersMayAnswer(msg, pulledAt, this.pullers.get(lane))) setTimeout(() => setImmediate(() => this.handOver()), FRESH_PULL_MS);
      else setImmediate(() => this.handOver());
    }
    this.arrived.push({ lane, runs, batch });
  }

  /**
   * Hands the messages received to the local queue. A message none of whose runs a poll took is
   * given back soon unless one does; meanwhile the polls it did not serve (another task type) pull
   * on, past up to UNWANTED_MAX such messages.
   */
  private handOver(): void {
    const arrived = this.arrived.splice(0);
    this.local.push(arrived.flatMap((a) => a.runs));
    for (const { lane, batch } of arrived) {
      const ids = [...batch.pending];
      if (this.local.waitingAmong(ids).length < ids.length) continue;
      this.unwanted.set(lane, (this.unwanted.get(lane) ?? 0) + 1);
      setTimeout(() => {
        this.unwanted.set(lane, this.unwanted.get(lane)! - 1);
        this.giveBack(ids.filter((id) => this.batches.get(id) === batch));
        this.wakePullers(lane);
      }, UNWANTED_HOLD_MS).unref();
    }
    for (const lane of new Set(arrived.map((a) => a.lane))) this.wakePullers(lane);
  }

  private wakePullers(lane: string): void {
    this.pullers.get(lane)?.forEach((p) => p.wake());
  }

  /**
   * Whether a message was waiting in the stream when its pull was made, and the lane's other
   * priorities were pulled with it and have not answered: any messages waiting for them are on
   * their way. Judged by when things happened, not by when this process reads them, which may be
   * late when it is busy.
   */
  private othersMayAnswer(msg: JsMsg, pulledAt: number, pullers: DemandPuller[] | undefined): boolean {
    const wasWaiting = millis(msg.info.timestampNanos) <= pulledAt;
    const pulledWith = (at: number | undefined) => at !== undefined && Math.abs(at - pulledAt) < FRESH_PULL_MS;
    return wasWaiting && (pullers ?? []).some((p) => pulledWith(p.unansweredSince));
  }

  /** Gives back messages whose runs no local poll took in time, so replicas whose workers want them get them. */
  private giveBackStale(): void {
    const before = Date.now() - HOLD_MS;
    this.giveBack([...this.batches.entries()].filter(([, b]) => b.at < before).map(([id]) => id));
  }

  /** Gives back the messages of those of these runs still waiting here. */
  private giveBack(runIds: string[]): void {
    const givenBack = new Set<Batch>();
    for (const id of this.local.waitingAmong(runIds)) {
      const batch = this.batches.get(id)!;
      this.local.remove(id);
      this.batches.delete(id);
      batch.pending.delete(id);
      givenBack.add(batch);
    }
    // Runs of these messages already taken here settle on their own; redelivered, they are dropped.
    for (const batch of givenBack) batch.msg.nak();
  }
}

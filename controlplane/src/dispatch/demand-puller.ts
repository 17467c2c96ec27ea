// Pulls one JetStream consumer's messages only while polls here wait for them, and no more than
// they want. A replica that asked ahead (a standing pull of many messages) would take a whole
// burst while its own workers are busy and the other replica's wait: the server serves waiting
// pull requests in order, each until its batch is full. Pulling to demand leaves what this
// replica cannot serve in the stream, for the replicas whose workers want it.
import type { Consumer, ConsumerMessages, JsMsg } from "@nats-io/jetstream";

/** A pull not filled by then ends, and is made again while polls still wait. */
const PULL_EXPIRES_MS = 5_000;
/** After a pull that failed or ended at once empty: NATS may be down or restarting. */
const RETRY_MS = 250;

export class DemandPuller {
  /** Messages asked for and not yet received. */
  private requested = 0;
  /**
   * When the earliest pull still open was made, while nothing has arrived: a pull standing since
   * before another was made shows the consumer had no messages for either.
   */
  unansweredSince: number | undefined;
  private wakeUp?: () => void;
  private stopped = false;
  private readonly pulls = new Set<ConsumerMessages>();

  constructor(
    private readonly consumer: Consumer,
    /** Messages the polls waiting for this consumer's lane want. */
    private readonly demand: () => number,
    /** Each message, with when the pull it answers was made. */
    private readonly receive: (msg: JsMsg, pulledAt: number) => void,
  ) {
    void this.run();
  }

  /** Polls started waiting: pull for them if not already asked for. */
  wake(): void {
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake();
    for (const pull of this.pulls) void pull.close();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const wanted = this.demand() - this.requested;
      if (wanted <= 0) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
        continue;
      }
      this.requested += wanted;
      const pulledAt = Date.now();
      const pull = await this.consumer.fetch({ max_messages: wanted, expires: PULL_EXPIRES_MS }).catch(() => undefined);
      if (!pull) {
        this.requested -= wanted;
        await new Promise((r) => setTimeout(r, RETRY_MS));
        continue;
      }
      this.pulls.add(pull);
      this.unansweredSince ??= pulledAt;
      void this.receiveAll(pull, wanted, pulledAt);
    }
  }

  private async receiveAll(pull: ConsumerMessages, wanted: number, pulledAt: number): Promise<void> {
    let received = 0;
    try {
      for await (const msg of pull) {
        received++;
        this.requested--;
        this.unansweredSince = undefined;
        this.receive(msg, pulledAt);
      }
    } catch {
      // The connection dropped or the consumer went away: the next pull tries again.
    } finally {
      this.pulls.delete(pull);
      if (this.pulls.size === 0) this.unansweredSince = undefined;
      // Still counted as asked for while it waits, so no pull is made meanwhile.
      if (received === 0 && Date.now() - pulledAt < PULL_EXPIRES_MS / 2) await new Promise((r) => setTimeout(r, RETRY_MS));
      this.requested -= wanted - received;
      this.wake();
    }
  }
}

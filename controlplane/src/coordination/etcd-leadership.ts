// Leadership through etcd, by the election recipe etcd itself uses: each candidate writes a key
// under the election prefix, attached to its lease; the key with the lowest create revision leads,
// and that revision is the fencing token (it only grows). A candidate waits on the deletion of the
// key just before its own, then checks the whole list again: a waiter never assumes it leads
// because its predecessor went away (the middle-candidate case that has elected two leaders).
//
// The client library's lease-loss event can arrive up to about twice the TTL after etcd expired
// the lease, so this backend also tracks keep-alive answers itself and gives up leadership when
// none has arrived for most of the TTL.
import { Etcd3, type Lease as EtcdLease } from "etcd3";
import type { Logger } from "pino";
import type { Lease, Leadership } from "./leadership.js";

export interface EtcdLeadershipOptions {
  endpoints: string[];
  /** Lease time-to-live in seconds [10]. */
  ttlSeconds?: number;
  /** The election's key prefix [taskplane/scheduler-leader/]. */
  prefix?: string;
  /** Written as the candidate's value, for operators reading etcd. */
  candidate: string;
  logger: Logger;
}

/** Keep-alives are sent every TTL/3: give up after this share of the TTL with no answer. */
const SILENCE_SHARE = 0.75;

export class EtcdLeadership implements Leadership {
  private readonly client: Etcd3;
  private readonly ttl: number;
  private readonly prefix: string;
  private current?: { lease: EtcdLease; monitor: NodeJS.Timeout };

  constructor(private readonly options: EtcdLeadershipOptions) {
    this.client = new Etcd3({ hosts: options.endpoints, dialTimeout: 2_000 });
    this.ttl = options.ttlSeconds ?? 10;
    this.prefix = options.prefix ?? "taskplane/scheduler-leader/";
  }

  async acquire(signal: AbortSignal): Promise<Lease> {
    for (;;) {
      signal.throwIfAborted();
      try {
        return await this.campaign(signal);
      } catch (e) {
        await this.release();
        if (signal.aborted) throw e;
        this.options.logger.warn({ err: e }, "campaign for scheduler leadership failed; retrying");
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  /** Gives leadership up at once: the next candidate does not wait for the TTL. */
  async release(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    clearInterval(current.monitor);
    await current.lease.revoke().catch(() => current.lease.release());
  }

  async close(): Promise<void> {
    await this.release();
    this.client.close();
  }

  private async campaign(signal: AbortSignal): Promise<Lease> {
    const lease = this.client.lease(this.ttl);
    const lost = new AbortController();
    let lastAnswer = Date.now();
    lease.on("keepaliveSucceeded", () => (lastAnswer = Date.now()));
    lease.on("lost", (err) => lost.abort(err));
    const silent = () => Date.now() - lastAnswer > this.ttl * 1000 * SILENCE_SHARE;
    const monitor = setInterval(() => silent() && lost.abort(new Error("no keep-alive answer from etcd")), 200);
    this.current = { lease, monitor };
    const id = await lease.grant();
    const key = `${this.prefix}${id}`;
    const put = await lease.put(key).value(this.options.candidate).exec();
    const token = BigInt(put.header.revision);
    await this.waitUntilFirst(key, token, signal, lost.signal);
    lastAnswer = Date.now();
    this.options.logger.info({ token: token.toString(), key }, "elected scheduler leader");
    return { token, lost: lost.signal, held: () => !lost.signal.aborted && !silent() };
  }

  /** Waits until `key` has the lowest create revision under the prefix. */
  private async waitUntilFirst(key: string, revision: bigint, ...signals: AbortSignal[]): Promise<void> {
    const until = AbortSignal.any(signals);
    for (;;) {
      until.throwIfAborted();
      const range = await this.client.getAll().prefix(this.prefix).sort("Create", "Ascend").exec();
      const ahead = range.kvs.filter((kv) => BigInt(kv.create_revision) < revision);
      if (!range.kvs.some((kv) => kv.key.toString() === key)) throw new Error("our election key is gone (lease expired)");
      if (ahead.length === 0) return;
      const predecessor = ahead[ahead.length - 1]!.key.toString();
      await this.deletion(predecessor, BigInt(range.header.revision) + 1n, until);
    }
  }

  private async deletion(key: string, fromRevision: bigint, signal: AbortSignal): Promise<void> {
    const watcher = await this.client.watch().key(key).startRevision(fromRevision.toString()).create();
    try {
      await new Promise<void>((resolve, reject) => {
        watcher.on("delete", () => resolve());
        watcher.on("error", reject);
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
        // The key may already be gone (the watch starts after our read): check once.
        void this.client
          .get(key)
          .exec()
          .then((r) => r.kvs.length === 0 && resolve(), reject);
      });
    } finally {
      await watcher.cancel().catch(() => {});
    }
  }
}

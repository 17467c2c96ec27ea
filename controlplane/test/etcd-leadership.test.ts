// Leadership through a real etcd 3.4: one leader at a time, growing fencing tokens, handover on
// release and on a dead candidate's lease expiring, and recovery after etcd restarts.
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Lease } from "../src/coordination/leadership.js";
import { EtcdLeadership } from "../src/coordination/etcd-leadership.js";
import { startTestEtcd, type TestEtcd } from "./harness/etcd.js";

const logger = pino({ level: process.env.TASKPLANE_TEST_LOG ?? "silent" });

describe("etcd leadership", () => {
  let etcd: TestEtcd;
  let prefixN = 0;
  const candidates: EtcdLeadership[] = [];
  const candidate = (name: string, prefix: string, ttlSeconds = 2) => {
    const c = new EtcdLeadership({ endpoints: [etcd.endpoint], ttlSeconds, prefix, candidate: name, logger });
    candidates.push(c);
    return c;
  };
  const freshPrefix = () => `test/election-${++prefixN}/`;

  beforeAll(async () => {
    etcd = await startTestEtcd();
  });
  afterEach(async () => {
    await Promise.all(candidates.splice(0).map((c) => c.close().catch(() => {})));
  });
  afterAll(() => etcd.stop());

  /** Tracks which candidates hold an unlost lease, sampling for "two leaders at once". */
  function watchLeaders(leases: Map<string, Lease>) {
    let most = 0;
    const timer = setInterval(() => {
      const now = [...leases.values()].filter((l) => !l.lost.aborted).length;
      most = Math.max(most, now);
    }, 10);
    return { mostAtOnce: () => most, stop: () => clearInterval(timer) };
  }

  it("elects one of two candidates, and hands over with a higher token on release", async () => {
    const prefix = freshPrefix();
    const [a, b] = [candidate("a", prefix), candidate("b", prefix)];
    const first = await a.acquire(AbortSignal.timeout(10_000));
    let bLease: Lease | undefined;
    const bWaits = b.acquire(AbortSignal.timeout(10_000)).then((l) => (bLease = l));
    await new Promise((r) => setTimeout(r, 500));
    expect(bLease).toBeUndefined();
    await a.release();
    const second = await bWaits;
    expect(second.token).toBeGreaterThan(first.token);
  });

  it("never has two leaders when the middle of three candidates dies", async () => {
    const prefix = freshPrefix();
    const [a, b, c] = [candidate("a", prefix), candidate("b", prefix), candidate("c", prefix)];
    const leases = new Map<string, Lease>();
    const leaders = watchLeaders(leases);
    leases.set("a", await a.acquire(AbortSignal.timeout(10_000)));
    const bWaits = b.acquire(AbortSignal.timeout(20_000)).then((l) => leases.set("b", l));
    await new Promise((r) => setTimeout(r, 200));
    const cWaits = c.acquire(AbortSignal.timeout(20_000)).then((l) => leases.set("c", l));
    await new Promise((r) => setTimeout(r, 200));
    // The middle candidate dies: its client goes away without revoking its lease.
    await b.close();
    bWaits.catch(() => {});
    await new Promise((r) => setTimeout(r, 3_000)); // past b's TTL: its key expires
    // While a leads, c must not have taken over (a candidate watching only the key before its own
    // once did). On a machine too busy to keep a's 2 s lease alive, c may follow a, never join it.
    const aLeads = !leases.get("a")!.lost.aborted;
    expect(aLeads && leases.has("c")).toBe(false);
    await a.release();
    await cWaits;
    expect(leases.get("c")!.token).toBeGreaterThan(leases.get("a")!.token);
    leaders.stop();
    expect(leaders.mostAtOnce()).toBe(1);
  });

  it("loses leadership before its TTL runs out when etcd goes away, and a leader is elected after etcd returns", async () => {
    const prefix = freshPrefix();
    const a = candidate("a", prefix, 3);
    const lease = await a.acquire(AbortSignal.timeout(10_000));
    await etcd.kill();
    const killedAt = Date.now();
    await new Promise<void>((resolve) => lease.lost.addEventListener("abort", () => resolve(), { once: true }));
    expect(Date.now() - killedAt).toBeLessThan(3_000);
    await etcd.start();
    await a.release();
    const again = await a.acquire(AbortSignal.timeout(20_000));
    expect(again.token).toBeGreaterThan(lease.token);
  });
});

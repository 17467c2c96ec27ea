// ClusterService handlers: the overview and the worker list, within the caller's namespaces.
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ClusterService } from "@taskplane/proto/taskplane/v1/cluster_service_pb.js";
import { PrioritySchema, RunStateSchema } from "@taskplane/proto/taskplane/v1/task_pb.js";
import type { Clock } from "../domain/clock.js";
import type { Overview, Store, WorkerStatus } from "../store/store.js";
import { scopeOf } from "./auth-interceptor.js";
import { enumValue } from "./convert.js";

/** Workers are listed when seen this recently, or running an attempt. */
const LISTED_WITHIN_MS = 600_000;
/**
 * The overview scans the runs table; every open dashboard asks for it every few seconds, so one
 * reading serves every caller with the same namespaces for this long.
 */
const OVERVIEW_SHARED_MS = 2_000;

export function clusterService(store: Store, clock: Clock): ServiceImpl<typeof ClusterService> {
  const workers = (namespaces: string[] | undefined, queue: string | undefined, now: Date) =>
    store.listWorkers({ namespaces, queue, since: new Date(now.getTime() - LISTED_WITHIN_MS) }, now);
  const readings = new Map<string, { now: Date; value: Promise<[Overview, WorkerStatus[]]> }>();
  const read = (namespaces: string[] | undefined) => {
    const key = namespaces?.join(",") ?? "*";
    const now = clock.now();
    const last = readings.get(key);
    if (last && now.getTime() - last.now.getTime() < OVERVIEW_SHARED_MS) return last;
    const reading = { now, value: Promise.all([store.readOverview(namespaces, now), workers(namespaces, undefined, now)]) };
    reading.value.catch(() => readings.delete(key));
    readings.set(key, reading);
    return reading;
  };
  return {
    async getOverview(req, ctx) {
      const { now, value } = read(scopeOf(ctx).filter(req.namespace || undefined));
      const [overview, seen] = await value;
      return {
        runsByState: overview.runsByState.map((s) => ({ state: enumValue(RunStateSchema, s.state), count: BigInt(s.count) })),
        lastHour: overview.lastHour.map((m) => ({
          minute: timestampFromDate(m.minute),
          succeeded: BigInt(m.succeeded),
          failed: BigInt(m.failed),
          started: BigInt(m.started),
          latenessP50Ms: BigInt(m.latenessP50Ms),
          latenessP99Ms: BigInt(m.latenessP99Ms),
        })),
        queueDepths: overview.queueDepths.map((q) => ({ ...q, priority: enumValue(PrioritySchema, q.priority), queued: BigInt(q.queued), running: BigInt(q.running) })),
        connectedWorkers: seen.filter((w) => w.connected).length,
        leader: { id: overview.leader.id, token: overview.leader.token, since: overview.leader.since && timestampFromDate(overview.leader.since) },
        readTime: timestampFromDate(now),
      };
    },
    async listWorkers(req, ctx) {
      const seen = await workers(scopeOf(ctx).filter(req.namespace || undefined), req.queue || undefined, clock.now());
      return { workers: seen.map(workerToProto) };
    },
  };
}

const workerToProto = (w: WorkerStatus) => ({ ...w, lastSeen: timestampFromDate(w.lastSeen) });

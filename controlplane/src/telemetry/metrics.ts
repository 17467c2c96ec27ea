// Prometheus metrics for one control-plane process, served at /metrics on the API port. Counters
// and histograms count what this replica did; the gauges read from Postgres (runs by state, queue
// depths, active workers) are the cluster's, the same on every replica.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

import type { ClusterStats } from "../store/store.js";

// From 1 ms (on time) to a minute (a scheduler that was down).
const LATENESS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const UNFINISHED_STATES = ["SCHEDULED", "QUEUED", "RUNNING", "RETRYING"];
const NO_STATS: ClusterStats = { runsByState: [], queueDepth: [], activeWorkers: 0 };
/** Scrapes within this long reuse the last read of the store. */
const STATS_TTL_MS = 5_000;

export class Metrics {
  private readonly registry = new Registry();
  private readonly with = { registers: [this.registry] };
  /** The gauges read from Postgres, kept apart so a scrape of other metrics does not read them. */
  private readonly clusterRegistry = new Registry();
  private readonly cluster = { registers: [this.clusterRegistry] };

  readonly apiRequests = new Counter({ name: "taskplane_api_requests_total", help: "API calls by method and status code", labelNames: ["method", "code"], ...this.with });
  readonly apiDuration = new Histogram({ name: "taskplane_api_request_duration_seconds", help: "API call duration (a long poll counts its wait)", labelNames: ["method"], ...this.with });
  readonly tasksCreated = new Counter({ name: "taskplane_tasks_created_total", help: "Tasks created", ...this.with });
  readonly fireLateness = new Histogram({ name: "taskplane_fire_lateness_seconds", help: "How late runs were fired after their due time (leader)", buckets: LATENESS_BUCKETS, ...this.with });
  readonly startLateness = new Histogram({ name: "taskplane_start_lateness_seconds", help: "How late attempts started after their due time, as handed to workers by this replica", buckets: LATENESS_BUCKETS, ...this.with });
  readonly attempts = new Counter({ name: "taskplane_attempts_total", help: "Attempts ended, by outcome (succeeded, failed, timed_out)", labelNames: ["outcome"], ...this.with });
  readonly retries = new Counter({ name: "taskplane_retries_total", help: "Failed attempts that will be retried", ...this.with });
  readonly runsSkipped = new Counter({ name: "taskplane_runs_skipped_total", help: "Fires recorded SKIPPED (overlap, pause, catch-up)", ...this.with });
  readonly callbackDeliveries = new Counter({ name: "taskplane_callback_deliveries_total", help: "Callback delivery attempts by what followed (succeeded, retrying, failed, stopped)", labelNames: ["outcome"], ...this.with });
  readonly callbackLatency = new Histogram({ name: "taskplane_callback_latency_seconds", help: "Callback POST latency", ...this.with });
  readonly pollsWaiting = new Gauge({ name: "taskplane_polls_waiting", help: "Worker long polls waiting on this replica", ...this.with });
  readonly pollWait = new Histogram({ name: "taskplane_poll_wait_seconds", help: "How long a worker's poll waited before it returned", buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60], ...this.with });
  readonly leader = new Gauge({ name: "taskplane_leader", help: "1 while this replica is the scheduler leader", ...this.with });
  readonly fenceToken = new Gauge({ name: "taskplane_fence_token", help: "The fencing token of this replica's current or last term as leader", ...this.with });
  readonly notifications = new Counter({ name: "taskplane_notifications_total", help: "Notifications sent, by channel and outcome", labelNames: ["channel", "outcome"], ...this.with });

  private stats?: { at: number; value: Promise<ClusterStats> };

  constructor(readCluster: () => Promise<ClusterStats>) {
    collectDefaultMetrics({ register: this.registry, prefix: "taskplane_" });
    // Known label values start at 0, so the first increment is a visible change (rate() and
    // increase() cannot see a series' first sample).
    for (const outcome of ["succeeded", "failed", "timed_out"]) this.attempts.inc({ outcome }, 0);
    for (const outcome of ["succeeded", "retrying", "failed", "stopped"]) this.callbackDeliveries.inc({ outcome }, 0);
    const cached = () => {
      // A store that cannot be read leaves the cluster gauges empty rather than failing the scrape.
      if (!this.stats || Date.now() - this.stats.at > STATS_TTL_MS) this.stats = { at: Date.now(), value: readCluster().catch(() => NO_STATS) };
      return this.stats.value;
    };
    new Gauge({
      name: "taskplane_runs",
      help: "Unfinished runs by state (cluster-wide)",
      labelNames: ["state"],
      ...this.cluster,
      async collect() {
        for (const state of UNFINISHED_STATES) this.set({ state }, 0);
        for (const { state, count } of (await cached()).runsByState) this.set({ state }, count);
      },
    });
    new Gauge({
      name: "taskplane_queue_depth",
      help: "QUEUED runs by queue and priority (cluster-wide)",
      labelNames: ["queue", "priority"],
      ...this.cluster,
      async collect() {
        this.reset();
        for (const { queue, priority, count } of (await cached()).queueDepth) this.set({ queue, priority }, count);
      },
    });
    new Gauge({
      name: "taskplane_workers_active",
      help: "Workers with a running attempt (cluster-wide)",
      ...this.cluster,
      async collect() {
        this.set((await cached()).activeWorkers);
      },
    });
  }

  /**
   * The Prometheus text of every metric, or of the families named (unknown names are left out).
   * The cluster gauges are read from Postgres only when the scrape wants them.
   */
  async render(names: string[] = []): Promise<{ contentType: string; body: string }> {
    const wanted = new Set(names);
    const withCluster = wanted.size === 0 || names.some((name) => this.clusterRegistry.getSingleMetric(name));
    const texts = await Promise.all([this.registry, ...(withCluster ? [this.clusterRegistry] : [])].map((r) => r.metrics()));
    const body = texts.join("");
    return { contentType: this.registry.contentType, body: wanted.size === 0 ? body : onlyFamilies(body, wanted) };
  }
}

/** The families of Prometheus text with these names: each starts at its "# HELP <name>" line. */
function onlyFamilies(text: string, names: Set<string>): string {
  return text
    .split(/^(?=# HELP )/m)
    .filter((family) => names.has(family.slice("# HELP ".length).split(" ", 1)[0]!))
    .join("");
}

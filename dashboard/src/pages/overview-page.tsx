// The overview: runs by state, the last hour's throughput and fire lateness, recent failures, queue
// depths, connected workers and the scheduler leader; it refreshes by itself.
import { RunState } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { cluster, tasks } from "../api/clients.js";
import { usePoll } from "../api/use-poll.js";
import { ApiError } from "../components/api-error.js";
import { LineChart } from "../components/line-chart.js";
import { QueueDepthTable } from "../components/queue-depth-table.js";
import { StateBadge } from "../components/state-badge.js";
import { TimeStamp } from "../components/time-stamp.js";
import { formatSpan, runStateName, runStateTone, toDate } from "../format.js";
import { Link } from "../router.js";

/** The states in the order a run goes through them. */
const STATES = [
  RunState.SCHEDULED,
  RunState.QUEUED,
  RunState.RUNNING,
  RunState.RETRYING,
  RunState.SUCCEEDED,
  RunState.FAILED,
  RunState.TIMED_OUT,
  RunState.CANCELLED,
  RunState.SKIPPED,
];

export function OverviewPage() {
  const overview = usePoll(() => cluster.getOverview({}), "overview");
  const failures = usePoll(() => tasks.listRuns({ state: RunState.FAILED, pageSize: 10 }), "failures");
  const o = overview.data;
  const counts = new Map(o?.runsByState.map((c) => [c.state, c.count]) ?? []);
  const times = o?.lastHour.map((m) => toDate(m.minute)!) ?? [];

  return (
    <main className="page" id="content">
      <header className="page-header">
        <h1>Overview</h1>
        {o && (
          <p className="muted">
            As of <TimeStamp value={o.readTime} />, refreshed every few seconds.
          </p>
        )}
      </header>
      <ApiError error={overview.error} />
      {!o && !overview.error && <p className="muted">Loading…</p>}
      {o && (
        <>
          <section aria-labelledby="runs-by-state">
            <h2 id="runs-by-state">Runs by state</h2>
            <ul className="stat-grid" data-testid="runs-by-state">
              {STATES.map((s) => (
                <li key={s} className="stat" data-state={runStateName(s)}>
                  <StateBadge label={runStateName(s)} tone={runStateTone(s)} />
                  <span className="stat-value">{(counts.get(s) ?? 0n).toLocaleString()}</span>
                </li>
              ))}
            </ul>
          </section>

          <section className="two-col">
            <LineChart
              title="Runs per minute, last hour"
              times={times}
              format={(n) => n.toLocaleString()}
              series={[
                { name: "started", className: "series-started", values: o.lastHour.map((m) => Number(m.started)) },
                { name: "succeeded", className: "series-ok", values: o.lastHour.map((m) => Number(m.succeeded)) },
                { name: "failed", className: "series-bad", values: o.lastHour.map((m) => Number(m.failed)) },
              ]}
            />
            <LineChart
              title="Fire lateness (first start − due time)"
              times={times}
              format={formatSpan}
              series={[
                { name: "p50", className: "series-started", values: o.lastHour.map((m) => Number(m.latenessP50Ms)) },
                { name: "p99", className: "series-warn", values: o.lastHour.map((m) => Number(m.latenessP99Ms)) },
              ]}
            />
          </section>

          <section className="two-col">
            <div className="card">
              <h2>Workers</h2>
              <p>
                <span className="big" data-testid="connected-workers">
                  {o.connectedWorkers}
                </span>{" "}
                connected (seen in the last minute). <Link to="/workers">See each worker</Link>
              </p>
            </div>
            <div className="card">
              <h2>Scheduler leader</h2>
              {o.leader?.id ? (
                <p data-testid="leader">
                  <code>{o.leader.id}</code>, fencing token {o.leader.token.toString()}, since <TimeStamp value={o.leader.since} />
                </p>
              ) : (
                <p className="muted">No leader has written yet: the scheduler elects one within seconds of starting.</p>
              )}
            </div>
          </section>

          <section aria-labelledby="queues">
            <h2 id="queues">Queue depths</h2>
            <QueueDepthTable depths={o.queueDepths} />
          </section>
        </>
      )}

      <section aria-labelledby="failures">
        <h2 id="failures">Recent failures</h2>
        <ApiError error={failures.error} />
        {failures.data && failures.data.runs.length === 0 && <p className="empty">No failed runs. Runs that end FAILED, with no attempts left, are listed here.</p>}
        {failures.data && failures.data.runs.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Task type</th>
                <th scope="col">Namespace</th>
                <th scope="col">Ended</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {failures.data.runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/tasks/${r.taskId}?run=${r.id}`}>
                      <code>{r.id.slice(0, 8)}</code>
                    </Link>
                  </td>
                  <td>{r.taskType}</td>
                  <td>{r.namespace}</td>
                  <td>
                    <TimeStamp value={r.endTime} />
                  </td>
                  <td className="wrap">{r.error ? `${r.error.type}: ${r.error.message}` : r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}

// Queues and workers: what waits and runs per queue and priority, and each worker's heartbeat age
// (now minus its last poll, heartbeat or report) and running attempts.
import { useEffect, useState } from "react";
import { cluster } from "../api/clients.js";
import { usePoll } from "../api/use-poll.js";
import { ApiError } from "../components/api-error.js";
import { QueueDepthTable } from "../components/queue-depth-table.js";
import { StateBadge } from "../components/state-badge.js";
import { TimeStamp } from "../components/time-stamp.js";
import { formatSpan, toDate } from "../format.js";

/** The current time, ticking every second, so ages count up between refreshes. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function WorkersPage() {
  const overview = usePoll(() => cluster.getOverview({}), "overview");
  const workers = usePoll(() => cluster.listWorkers({}), "workers");
  const now = useNow();

  return (
    <main className="page" id="content">
      <header className="page-header">
        <h1>Queues &amp; workers</h1>
      </header>
      <section aria-labelledby="queues">
        <h2 id="queues">Queue depth per priority</h2>
        <ApiError error={overview.error} />
        {overview.data && <QueueDepthTable depths={overview.data.queueDepths} />}
      </section>
      <section aria-labelledby="workers">
        <h2 id="workers">Workers</h2>
        <ApiError error={workers.error} />
        {!workers.data && !workers.error && <p className="muted">Loading…</p>}
        {workers.data && workers.data.workers.length === 0 && (
          <p className="empty">
            No worker has been seen in the last ten minutes. Start one with the SDK (<code>Worker.create(…).run()</code>), e.g.{" "}
            <code>npx tsx examples/quickstart/worker.ts</code>.
          </p>
        )}
        {workers.data && workers.data.workers.length > 0 && (
          <table data-testid="workers">
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Status</th>
                <th scope="col">Namespace / queue</th>
                <th scope="col">Task types</th>
                <th scope="col" className="num">
                  Heartbeat age
                </th>
                <th scope="col">Last seen</th>
                <th scope="col" className="num">
                  Running attempts
                </th>
                <th scope="col">Token subject</th>
              </tr>
            </thead>
            <tbody>
              {workers.data.workers.map((w) => {
                const seen = toDate(w.lastSeen);
                return (
                  <tr key={`${w.workerId}/${w.namespace}/${w.queue}`} data-worker-id={w.workerId}>
                    <td>
                      <code>{w.workerId}</code>
                    </td>
                    <td>
                      <StateBadge label={w.connected ? "CONNECTED" : "NOT SEEN FOR 1 MIN"} tone={w.connected ? "ok" : "off"} />
                    </td>
                    <td>
                      {w.namespace || "default"} / {w.queue || "default"}
                    </td>
                    <td className="wrap">{w.taskTypes.length ? w.taskTypes.join(", ") : <span className="muted">all</span>}</td>
                    <td className="num">{seen ? formatSpan(Math.max(0, now - seen.getTime())) : "—"}</td>
                    <td>
                      <TimeStamp value={w.lastSeen} />
                    </td>
                    <td className="num">{w.runningAttempts}</td>
                    <td>{w.principal || <span className="muted">—</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </main>
  );
}

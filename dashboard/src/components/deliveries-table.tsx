// A task's callback events and each one's delivery attempts.
import type { Delivery } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { CallbackEvent } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { deliveryStateName, deliveryStateTone } from "../format.js";
import { Link } from "../router.js";
import { StateBadge } from "./state-badge.js";
import { TimeStamp } from "./time-stamp.js";

export function DeliveriesTable({ deliveries, hasCallback }: { deliveries: Delivery[]; hasCallback: boolean }) {
  if (deliveries.length === 0) {
    return (
      <p className="empty">
        {hasCallback
          ? "No callback sent yet: one is sent when a run reaches an outcome the callback listens for."
          : "This task has no callback. Set one (UpdateTaskCallback, or callback in the task spec) to have run outcomes POSTed to a URL."}
      </p>
    );
  }
  return (
    <table data-testid="deliveries">
      <thead>
        <tr>
          <th scope="col">Event</th>
          <th scope="col">State</th>
          <th scope="col">Run</th>
          <th scope="col">URL</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last answer</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => {
          const last = d.attempts[d.attempts.length - 1];
          return (
            <tr key={d.id}>
              <td>{CallbackEvent[d.event]?.toLowerCase().replace(/_/g, ".") ?? d.event}</td>
              <td>
                <StateBadge label={deliveryStateName(d.state)} tone={deliveryStateTone(d.state)} />
                {d.nextAttemptTime && (
                  <div className="muted">
                    next <TimeStamp value={d.nextAttemptTime} />
                  </div>
                )}
              </td>
              <td>
                <Link to={`/tasks/${d.taskId}?run=${d.runId}`}>
                  <code>{d.runId.slice(0, 8)}</code>
                </Link>{" "}
                #{d.attempt}
              </td>
              <td className="wrap">
                <code>{d.url}</code>
              </td>
              <td>{d.attempts.length}</td>
              <td className="wrap">{last ? (last.statusCode ? `HTTP ${last.statusCode}` : "no response") + (last.error ? `: ${last.error}` : "") : "—"}</td>
              <td>
                <TimeStamp value={d.createTime} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

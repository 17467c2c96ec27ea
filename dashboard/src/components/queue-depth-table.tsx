// What waits and runs in each queue, per priority, with a bar so the deepest stands out.
import { Priority } from "@taskplane/proto/taskplane/v1/task_pb.js";
import type { QueueDepth } from "@taskplane/proto/taskplane/v1/cluster_service_pb.js";
import { priorityName } from "../format.js";

const ORDER = (p: Priority) => (p === Priority.UNSPECIFIED ? Priority.NORMAL : p);

export function QueueDepthTable({ depths }: { depths: QueueDepth[] }) {
  if (depths.length === 0) {
    return <p className="empty">Nothing is queued or running. Due runs wait here for a worker; create a task or start a worker to see them.</p>;
  }
  const rows = [...depths].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.queue.localeCompare(b.queue) || ORDER(a.priority) - ORDER(b.priority));
  const max = Math.max(1, ...rows.map((d) => Number(d.queued + d.running)));
  return (
    <table data-testid="queue-depths">
      <thead>
        <tr>
          <th scope="col">Namespace</th>
          <th scope="col">Queue</th>
          <th scope="col">Priority</th>
          <th scope="col" className="num">
            Queued
          </th>
          <th scope="col" className="num">
            Running
          </th>
          <th scope="col" aria-hidden="true" className="bar-col" />
        </tr>
      </thead>
      <tbody>
        {rows.map((d) => (
          <tr key={`${d.namespace}/${d.queue}/${d.priority}`}>
            <td>{d.namespace}</td>
            <td>{d.queue}</td>
            <td>{priorityName(d.priority)}</td>
            <td className="num">{d.queued.toLocaleString()}</td>
            <td className="num">{d.running.toLocaleString()}</td>
            <td aria-hidden="true" className="bar-col">
              <span className="bar queued" style={{ width: `${(Number(d.queued) / max) * 100}%` }} />
              <span className="bar running" style={{ width: `${(Number(d.running) / max) * 100}%` }} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

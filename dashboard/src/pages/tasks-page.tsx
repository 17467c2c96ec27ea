// Tasks: filter by state, type, queue, label and namespace (kept in the URL), or jump to one by id.
import { useState, type FormEvent } from "react";
import { TaskState } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { tasks } from "../api/clients.js";
import { usePoll } from "../api/use-poll.js";
import { ApiError } from "../components/api-error.js";
import { FilterActions } from "../components/filter-actions.js";
import { Pager, usePager } from "../components/pager.js";
import { StateBadge } from "../components/state-badge.js";
import { TimeStamp } from "../components/time-stamp.js";
import { priorityName, taskStateName, taskStateTone } from "../format.js";
import { Link, navigate } from "../router.js";
import { scheduleSummary } from "../schedule-text.js";

const FILTERS = ["state", "type", "queue", "label", "namespace"] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TASK_STATES = [TaskState.ACTIVE, TaskState.PAUSED, TaskState.COMPLETED, TaskState.CANCELLED];

/** "team=growth, tier=1" -> { team: "growth", tier: "1" }. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(",")) {
    const [k, ...v] = pair.split("=");
    if (k?.trim()) labels[k.trim()] = v.join("=").trim();
  }
  return labels;
}

export function TasksPage({ query }: { query: URLSearchParams }) {
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ""])) as Record<(typeof FILTERS)[number], string>;
  const key = JSON.stringify(filters);
  const pager = usePager(key);
  const list = usePoll(
    () =>
      tasks.listTasks({
        state: Number(filters.state) || TaskState.UNSPECIFIED,
        type: filters.type,
        queue: filters.queue,
        labels: parseLabels(filters.label),
        namespace: filters.namespace,
        pageSize: 50,
        pageToken: pager.token,
      }),
    `${key}/${pager.token}`,
  );

  const apply = (changed: Partial<typeof filters>) => {
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filters, ...changed })) if (v) next.set(k, v);
    const qs = next.toString();
    navigate(`/tasks${qs ? `?${qs}` : ""}`, true);
  };
  const onFilter = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    apply(Object.fromEntries(FILTERS.map((f) => [f, String(form.get(f) ?? "").trim()])));
  };

  const [search, setSearch] = useState("");
  const [searchError, setSearchError] = useState("");
  const onSearch = (e: FormEvent) => {
    e.preventDefault();
    const id = search.trim();
    if (!UUID.test(id)) return setSearchError("A task id is a UUID, like 0b5e3c7a-1f2d-4c3b-9a8e-7d6c5b4a3f21.");
    setSearchError("");
    navigate(`/tasks/${id}`);
  };
  const filtered = FILTERS.some((f) => filters[f]);

  return (
    <main className="page" id="content">
      <header className="page-header">
        <h1>Tasks</h1>
        <form className="search" onSubmit={onSearch} role="search">
          <label htmlFor="task-id">Open task by id</label>
          <input id="task-id" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="task id (UUID)" spellCheck={false} aria-describedby="task-id-error" />
          <button type="submit">Open</button>
          {searchError && (
            <span id="task-id-error" className="field-error" role="alert">
              {searchError}
            </span>
          )}
        </form>
      </header>

      <form className="filters" onSubmit={onFilter} key={key} aria-label="Filter tasks">
        <label>
          State
          <select name="state" defaultValue={filters.state} onChange={(e) => apply({ state: e.target.value })}>
            <option value="">any (not deleted)</option>
            {TASK_STATES.map((s) => (
              <option key={s} value={s}>
                {taskStateName(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <input name="type" defaultValue={filters.type} placeholder="email.send" />
        </label>
        <label>
          Queue
          <input name="queue" defaultValue={filters.queue} placeholder="default" />
        </label>
        <label>
          Label
          <input name="label" defaultValue={filters.label} placeholder="team=growth" />
        </label>
        <label>
          Namespace
          <input name="namespace" defaultValue={filters.namespace} placeholder="all yours" />
        </label>
        <FilterActions filtered={filtered} clearTo="/tasks" />
      </form>

      <ApiError error={list.error} />
      {!list.data && !list.error && <p className="muted">Loading…</p>}
      {list.data && list.data.tasks.length === 0 && (
        <p className="empty">
          {filtered
            ? "No task matches these filters. Clear them, or check the namespace: your token sees only its own."
            : "No tasks yet. Create one with the SDK (client.createTask), `taskplane tasks create`, or run examples/quickstart/run.ts."}
        </p>
      )}
      {list.data && list.data.tasks.length > 0 && (
        <table data-testid="tasks">
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Type</th>
              <th scope="col">State</th>
              <th scope="col">Schedule</th>
              <th scope="col">Next fire</th>
              <th scope="col">Namespace / queue</th>
              <th scope="col">Priority</th>
              <th scope="col">Labels</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.data.tasks.map((t) => (
              <tr key={t.id} data-task-id={t.id}>
                <td>
                  <Link to={`/tasks/${t.id}`}>
                    <code>{t.id.slice(0, 8)}</code>
                  </Link>
                </td>
                <td>{t.spec?.type}</td>
                <td>
                  <StateBadge label={taskStateName(t.state)} tone={taskStateTone(t.state)} />
                </td>
                <td className="wrap">{scheduleSummary(t.spec?.schedule)}</td>
                <td>
                  <TimeStamp value={t.nextFireTime} empty="none" utc />
                </td>
                <td>
                  {t.spec?.namespace || "default"} / {t.spec?.queue || "default"}
                </td>
                <td>{priorityName(t.spec?.priority ?? 0)}</td>
                <td>
                  <span className="labels">
                    {Object.entries(t.spec?.labels ?? {}).map(([k, v]) => (
                      <span key={k} className="label">
                        {k}={v}
                      </span>
                    ))}
                  </span>
                </td>
                <td>
                  <TimeStamp value={t.createTime} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={pager.page} nextToken={list.data?.nextPageToken} onNext={pager.next} onPrevious={pager.previous} />
    </main>
  );
}

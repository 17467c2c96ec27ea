// One task: its spec and schedule in words, next fires with DST flags, its runs (one opened in
// full), callback deliveries, and the buttons that steer it.
import { useState, type FormEvent } from "react";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { TaskState, type Task } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { tasks } from "../api/clients.js";
import { usePoll } from "../api/use-poll.js";
import { ActionBar, type Action } from "../components/action-bar.js";
import { ApiError } from "../components/api-error.js";
import { DeliveriesTable } from "../components/deliveries-table.js";
import { FireTimes } from "../components/fire-times.js";
import { RunPanel } from "../components/run-panel.js";
import { StateBadge } from "../components/state-badge.js";
import { TimeStamp } from "../components/time-stamp.js";
import { payloadText, priorityName, runStateName, runStateTone, taskStateName, taskStateTone } from "../format.js";
import { Link, navigate } from "../router.js";
import { scheduleDetails, scheduleSummary } from "../schedule-text.js";

export function TaskPage({ taskId, runId }: { taskId: string; runId?: string }) {
  const got = usePoll(() => tasks.getTask({ taskId }), taskId);
  const runs = usePoll(() => tasks.listRuns({ taskId, pageSize: 25 }), taskId);
  const deliveries = usePoll(() => tasks.listDeliveries({ taskId, pageSize: 25 }), taskId);
  const task = got.data?.task;
  const spec = task?.spec;
  const changed = () => {
    got.reload();
    runs.reload();
  };

  return (
    <main className="page" id="content">
      <p className="crumbs">
        <Link to="/tasks">← Tasks</Link>
      </p>
      <ApiError error={got.error} />
      {!task && !got.error && <p className="muted">Loading…</p>}
      {task && spec && (
        <>
          <header className="page-header">
            <h1>
              {spec.type} <StateBadge label={taskStateName(task.state)} tone={taskStateTone(task.state)} />
            </h1>
            <ActionBar label="Task actions" actions={taskActions(task, runs.reload)} onDone={changed} />
          </header>

          <section className="two-col">
            <div className="card">
              <h2>Task</h2>
              <dl className="facts">
                <dt>Id</dt>
                <dd>
                  <code>{task.id}</code>
                </dd>
                <dt>Namespace / queue</dt>
                <dd>
                  {spec.namespace || "default"} / {spec.queue || "default"}
                </dd>
                <dt>Priority</dt>
                <dd>{priorityName(spec.priority)}</dd>
                <dt>Labels</dt>
                <dd className="labels">
                  {Object.keys(spec.labels).length === 0 && <span className="muted">none</span>}
                  {Object.entries(spec.labels).map(([k, v]) => (
                    <span key={k} className="label">
                      {k}={v}
                    </span>
                  ))}
                </dd>
                <dt>Retries</dt>
                <dd>{spec.retryPolicy?.maxAttempts ? `${spec.retryPolicy.maxAttempts} attempts in all` : "3 attempts in all (default)"}</dd>
                <dt>Callback</dt>
                <dd>{spec.callback?.url ? <code>{spec.callback.url}</code> : <span className="muted">none</span>}</dd>
                <dt>Created</dt>
                <dd>
                  <TimeStamp value={task.createTime} />
                </dd>
                <dt>Updated</dt>
                <dd>
                  <TimeStamp value={task.updateTime} />
                </dd>
              </dl>
              {spec.payload && spec.payload.data.length > 0 && (
                <>
                  <h3>Payload</h3>
                  <pre>{payloadText(spec.payload.data, spec.payload.contentType)}</pre>
                </>
              )}
            </div>
            <div className="card">
              <h2>Schedule</h2>
              <p className="schedule" data-testid="schedule-words">
                {scheduleSummary(spec.schedule)}
              </p>
              <ul className="plain">
                {scheduleDetails(spec.schedule).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
              <p>
                Next fire: <TimeStamp utc value={task.nextFireTime} empty={task.state === TaskState.PAUSED ? "none while paused" : "none"} />
              </p>
            </div>
          </section>

          <section aria-labelledby="fires">
            <h2 id="fires">Next fire times</h2>
            <FireTimes fires={got.data?.upcomingFires ?? []} empty="No upcoming fires: the task is not recurring, is paused, or its schedule has ended." />
            <SchedulePreview task={task} />
          </section>

          <section aria-labelledby="runs">
            <h2 id="runs">Runs</h2>
            <ApiError error={runs.error} />
            {runs.data && runs.data.runs.length === 0 && <p className="empty">No runs yet. Trigger the task to run it now, or wait for its schedule.</p>}
            {runs.data && runs.data.runs.length > 0 && (
              <table data-testid="runs">
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">State</th>
                    <th scope="col">Trigger</th>
                    <th scope="col">Scheduled</th>
                    <th scope="col">Ended</th>
                    <th scope="col">Attempts</th>
                  </tr>
                </thead>
                <tbody>
                  {runs.data.runs.map((r) => (
                    <tr key={r.id} aria-current={r.id === runId ? "true" : undefined} data-run-id={r.id}>
                      <td>
                        <Link to={`/tasks/${taskId}?run=${r.id}`}>
                          <code>{r.id.slice(0, 8)}</code>
                        </Link>
                      </td>
                      <td>
                        <StateBadge label={runStateName(r.state)} tone={runStateTone(r.state)} />
                      </td>
                      <td>{["", "schedule", "manual", "backfill"][r.trigger] ?? ""}</td>
                      <td>
                        <TimeStamp value={r.scheduledTime} />
                      </td>
                      <td>
                        <TimeStamp value={r.endTime} />
                      </td>
                      <td>
                        {r.attempt} of {r.maxAttempts}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {runs.data && runs.data.runs.length > 0 && !runId && <p className="muted">Open a run to see its attempts, output, errors and logs.</p>}
            {runId && <RunPanel key={runId} runId={runId} onChange={changed} />}
          </section>

          <section aria-labelledby="deliveries">
            <h2 id="deliveries">Callback deliveries</h2>
            <ApiError error={deliveries.error} />
            {deliveries.data && <DeliveriesTable deliveries={deliveries.data.deliveries} hasCallback={!!spec.callback?.url} />}
          </section>
        </>
      )}
    </main>
  );
}

function taskActions(task: Task, afterTrigger: () => void): Action[] {
  const taskId = task.id;
  const s = task.state;
  const live = s === TaskState.ACTIVE || s === TaskState.PAUSED;
  const actions: Action[] = [];
  if (live) {
    actions.push({
      label: "Trigger",
      question: "Trigger this task now?",
      consequence: "A new run is created now with the task's payload, whatever its schedule.",
      run: async () => {
        const { run } = await tasks.triggerTask({ taskId });
        afterTrigger();
        if (run) navigate(`/tasks/${taskId}?run=${run.id}`, true);
      },
    });
  }
  actions.push({
    label: "Retry",
    question: "Retry the latest finished run?",
    consequence: "The task's most recent finished run runs again now, as a new attempt.",
    run: () => tasks.retryTask({ taskId }),
  });
  // Only a recurring schedule has fires to stop; a one-time or manual task is cancelled instead.
  const recurring = task.spec?.schedule?.kind.case === "cron" || task.spec?.schedule?.kind.case === "interval";
  if (s === TaskState.ACTIVE && recurring) {
    actions.push({ label: "Pause", question: "Pause this task?", consequence: "No new fires until it is resumed; triggers still work.", run: () => tasks.pauseTask({ taskId }) });
  }
  if (s === TaskState.PAUSED) {
    actions.push({
      label: "Resume",
      question: "Resume this task?",
      consequence: "The schedule fires again from now; fires missed while paused are not caught up.",
      run: () => tasks.resumeTask({ taskId }),
    });
  }
  if (live) {
    actions.push({
      label: "Cancel",
      question: "Cancel this task?",
      consequence: "No more fires; its pending runs are cancelled and running attempts asked to stop. This cannot be undone.",
      danger: true,
      run: () => tasks.cancelTask({ taskId, reason: "cancelled from the dashboard" }),
    });
  }
  if (s !== TaskState.DELETED) {
    actions.push({
      label: "Delete",
      question: "Delete this task?",
      consequence: "It is removed from scheduling and listing; its runs are kept as history. This cannot be undone.",
      danger: true,
      run: async () => {
        await tasks.deleteTask({ taskId });
        navigate("/tasks");
      },
    });
  }
  return actions;
}

/** Fires of the task's schedule after a date the user picks, e.g. to see what the next DST change does. */
function SchedulePreview({ task }: { task: Task }) {
  const schedule = task.spec?.schedule;
  const [after, setAfter] = useState("");
  const preview = usePoll(
    () => (after && schedule ? tasks.previewSchedule({ schedule, count: 10, after: timestampFromDate(new Date(after)) }) : Promise.resolve(undefined)),
    `${task.id}/${after}`,
    0,
  );
  if (schedule?.kind.case !== "cron" && schedule?.kind.case !== "interval") return null;
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setAfter(String(new FormData(e.currentTarget).get("after") ?? ""));
  };
  return (
    <details className="preview">
      <summary>Preview fires after another date</summary>
      <form onSubmit={submit} className="inline-form">
        <label>
          After (your time) <input type="datetime-local" name="after" required />
        </label>
        <button type="submit">Preview</button>
      </form>
      <ApiError error={preview.error} action="Preview" />
      {preview.data && <FireTimes fires={preview.data.fires} empty="The schedule has no fires after that date." />}
    </details>
  );
}

// One run in full: its state, times, attempts (worker, outcome, error), output, logs, and the
// actions a run allows (retry a finished run, cancel an unfinished one).
import { RunState, type Run } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { tasks } from "../api/clients.js";
import { usePoll } from "../api/use-poll.js";
import { formatSpan, outcomeName, outcomeTone, payloadText, runStateName, runStateTone, toDate } from "../format.js";
import { ActionBar, type Action } from "./action-bar.js";
import { ApiError } from "./api-error.js";
import { RunLogs } from "./run-logs.js";
import { StateBadge } from "./state-badge.js";
import { TimeStamp } from "./time-stamp.js";

const FINISHED = new Set([RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED, RunState.TIMED_OUT, RunState.SKIPPED]);
export const isFinished = (r: Run) => FINISHED.has(r.state);

export function RunPanel({ runId, onChange }: { runId: string; onChange: () => void }) {
  const got = usePoll(() => tasks.getRun({ runId }), runId);
  const run = got.data?.run;
  const reload = () => {
    got.reload();
    onChange();
  };

  return (
    <section className="card run-panel" aria-labelledby="run-title" data-testid="run-panel">
      <h3 id="run-title">
        Run <code>{runId}</code>
      </h3>
      <ApiError error={got.error} />
      {!run && !got.error && <p className="muted">Loading…</p>}
      {run && (
        <>
          <dl className="facts">
            <dt>State</dt>
            <dd data-testid="run-state">
              <StateBadge label={runStateName(run.state)} tone={runStateTone(run.state)} />
              {run.cancelRequested && !isFinished(run) && <span className="muted"> (cancel requested)</span>}
            </dd>
            <dt>Attempt</dt>
            <dd>
              {run.attempt} of {run.maxAttempts}
            </dd>
            <dt>Scheduled</dt>
            <dd>
              <TimeStamp value={run.scheduledTime} />
            </dd>
            <dt>Started</dt>
            <dd>
              <TimeStamp value={run.startTime} empty="not yet" />
            </dd>
            <dt>Ended</dt>
            <dd>
              <TimeStamp value={run.endTime} empty={isFinished(run) ? "—" : "not yet"} />
            </dd>
            {run.nextAttemptTime && (
              <>
                <dt>Next attempt</dt>
                <dd>
                  <TimeStamp value={run.nextAttemptTime} />
                </dd>
              </>
            )}
            {run.reason && (
              <>
                <dt>Reason</dt>
                <dd>{run.reason}</dd>
              </>
            )}
          </dl>
          <ActionBar label="Run actions" actions={runActions(run)} onDone={reload} />

          {run.error && (
            <div className="run-error">
              <h4>Error</h4>
              <p>
                <strong>{run.error.type || "Error"}</strong>
                {run.error.nonRetryable ? " (non-retryable)" : ""}: {run.error.message}
              </p>
            </div>
          )}
          {run.output && run.output.data.length > 0 && (
            <div>
              <h4>Output</h4>
              <pre data-testid="run-output">{payloadText(run.output.data, run.output.contentType)}</pre>
            </div>
          )}

          <h4>Attempts</h4>
          {run.attempts.length === 0 ? (
            <p className="empty">No attempt yet: the run waits for its time and then for a worker of its queue.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Worker</th>
                  <th scope="col">Started</th>
                  <th scope="col">Took</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {run.attempts.map((a) => {
                  const start = toDate(a.startTime);
                  const end = toDate(a.endTime);
                  return (
                    <tr key={a.number}>
                      <td>{a.number}</td>
                      <td>
                        <StateBadge label={outcomeName(a.outcome)} tone={outcomeTone(a.outcome)} />
                      </td>
                      <td>
                        <code>{a.workerId}</code>
                      </td>
                      <td>
                        <TimeStamp value={a.startTime} />
                      </td>
                      <td>{start && end ? formatSpan(end.getTime() - start.getTime()) : "—"}</td>
                      <td className="wrap">{a.error ? `${a.error.type}: ${a.error.message}` : ""}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          <RunLogs runId={run.id} live={!isFinished(run)} />
        </>
      )}
    </section>
  );
}

function runActions(run: Run): Action[] {
  if (isFinished(run)) {
    return [
      {
        label: "Retry run",
        question: "Retry this run?",
        consequence: `Run ${run.id} runs again now as attempt ${run.attempt + 1}, whatever its retry policy says.`,
        run: () => tasks.retryTask({ taskId: run.taskId, runId: run.id }),
      },
    ];
  }
  return [
    {
      label: "Cancel run",
      question: "Cancel this run?",
      consequence: `Run ${run.id} is cancelled; a running attempt is asked to stop. The task keeps its schedule.`,
      danger: true,
      run: () => tasks.cancelTask({ taskId: run.taskId, runId: run.id, reason: "cancelled from the dashboard" }),
    },
  ];
}

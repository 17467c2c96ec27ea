// A run's log lines, read in pages by sequence number. While the run is unfinished it asks every
// second for the lines after the last one it has, so the log follows the run; once it ends, one last
// read picks up the final lines.
import { useEffect, useRef, useState } from "react";
import type { LogEntry } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { tasks } from "../api/clients.js";
import { formatUtc, toDate } from "../format.js";
import { ApiError } from "./api-error.js";

const PAGE = 500;
const FOLLOW_MS = 1_000;

export function RunLogs({ runId, live }: { runId: string; live: boolean }) {
  const [entries, setEntries] = useState<LogEntry[]>([]);
  const [error, setError] = useState<unknown>();
  const [follow, setFollow] = useState(true);
  const liveRef = useRef(live);
  liveRef.current = live;
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let after = 0n;
    let readAgain = true; // the first read; again after a full page, an error, or a read while live
    setEntries([]);
    setError(undefined);
    const tick = async () => {
      let full = false;
      const wasLive = liveRef.current;
      if (wasLive || readAgain) {
        readAgain = wasLive;
        try {
          const { entries: page } = await tasks.listRunLogs({ runId, afterSequence: after, pageSize: PAGE });
          if (stopped) return;
          setError(undefined);
          if (page.length > 0) {
            after = page[page.length - 1]!.sequence;
            setEntries((prev) => [...prev, ...page]);
          }
          full = page.length === PAGE;
          readAgain ||= full;
        } catch (e) {
          if (stopped) return;
          setError(e);
          readAgain = true;
        }
      }
      if (!stopped) timer = setTimeout(tick, full ? 0 : FOLLOW_MS);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [runId]);

  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [entries, follow]);

  return (
    <div className="logs">
      <div className="logs-header">
        <h4>Logs</h4>
        {live && <span className="live">following while it runs</span>}
        <label className="inline">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Keep the newest line in view
        </label>
      </div>
      <ApiError error={error} action="Reading logs" />
      {entries.length === 0 ? (
        <p className="empty">{live ? "No lines yet; they appear here as the handler logs them (ctx.log)." : "This run logged nothing."}</p>
      ) : (
        <pre ref={box} tabIndex={0} aria-label="Log lines" data-testid="run-logs">
          {entries.map((e) => {
            const time = toDate(e.time);
            return (
              <span key={e.sequence.toString()} className="log-line">
                <span className="muted" title={time ? formatUtc(time) : ""}>
                  #{e.attempt} {time?.toLocaleTimeString()}
                </span>{" "}
                {e.message}
                {"\n"}
              </span>
            );
          })}
        </pre>
      )}
    </div>
  );
}

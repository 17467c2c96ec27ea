// Upcoming fire times in UTC and in the schedule's zone, as the API gives them (not the browser's
// zone, which may differ from both), with the due time under jitter and what DST does to each.
import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { DstEffect, type FireTime } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { formatSpan } from "../format.js";
import { TimeStamp } from "./time-stamp.js";

const DST: Record<DstEffect, string> = {
  [DstEffect.UNSPECIFIED]: "",
  [DstEffect.MISSING_TIME]: "DST: local time skipped",
  [DstEffect.REPEATED_TIME_FIRST]: "DST: repeated time, first",
  [DstEffect.REPEATED_TIME_SECOND]: "DST: repeated time, second",
};

export function FireTimes({ fires, empty }: { fires: FireTime[]; empty: string }) {
  if (fires.length === 0) return <p className="empty">{empty}</p>;
  return (
    <table data-testid="fire-times">
      <thead>
        <tr>
          <th scope="col">Fires at (UTC)</th>
          <th scope="col">In the schedule's zone</th>
          <th scope="col">DST</th>
        </tr>
      </thead>
      <tbody>
        {fires.map((f, i) => (
          <tr key={i} className={f.skipped ? "skipped" : undefined}>
            <td>
              <TimeStamp value={f.time} utc />
              {f.time && f.dueTime && jitterMs(f.time, f.dueTime) > 0 && (
                <span className="muted" data-testid="due-time">
                  {" "}
                  (due <TimeStamp value={f.dueTime} utc />, {jitterText(jitterMs(f.time, f.dueTime))} later with jitter)
                </span>
              )}
            </td>
            <td>
              <code>{f.localTime}</code> {f.timeZone}
            </td>
            <td className="wrap">
              {f.dstEffect !== DstEffect.UNSPECIFIED && <span className="badge tone-warn">{DST[f.dstEffect]}</span>}
              {f.skipped && <span className="badge tone-off">skipped, never runs</span>} {f.note}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const jitterMs = (time: Timestamp, due: Timestamp) => timestampMs(due) - timestampMs(time);
/** Whole seconds once there are any, as the due time beside it is shown to the second. */
const jitterText = (ms: number) => formatSpan(ms < 1_000 ? ms : Math.floor(ms / 1_000) * 1_000);

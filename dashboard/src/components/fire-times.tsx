// Upcoming fire times with their local time, and what daylight saving time does to each.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { DstEffect, type FireTime } from "@taskplane/proto/taskplane/v1/task_pb.js";
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
          <th scope="col">Fires at (your time)</th>
          <th scope="col">In the schedule's zone</th>
          <th scope="col">DST</th>
        </tr>
      </thead>
      <tbody>
        {fires.map((f, i) => (
          <tr key={i} className={f.skipped ? "skipped" : undefined}>
            <td>
              <TimeStamp value={f.time} />
              {f.dueTime && !sameInstant(f.dueTime, f.time) && (
                <span className="muted">
                  {" "}
                  (due <TimeStamp value={f.dueTime} /> with jitter)
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

const sameInstant = (a: Timestamp, b: Timestamp | undefined) => !!b && a.seconds === b.seconds && a.nanos === b.nanos;

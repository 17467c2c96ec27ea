// A moment in the browser's time zone with the same moment in UTC on hover, or (utc) the other way round.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { formatLocal, formatUtc, toDate } from "../format.js";

export function TimeStamp({ value, empty = "—", utc = false }: { value: Timestamp | Date | undefined; empty?: string; utc?: boolean }) {
  const date = value instanceof Date ? value : toDate(value);
  if (!date) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={date.toISOString()} title={utc ? `your time: ${formatLocal(date)}` : formatUtc(date)}>
      {utc ? formatUtc(date) : formatLocal(date)}
    </time>
  );
}

// A moment in the browser's time zone, with the same moment in UTC on hover.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { formatLocal, formatUtc, toDate } from "../format.js";

export function TimeStamp({ value, empty = "—" }: { value: Timestamp | Date | undefined; empty?: string }) {
  const date = value instanceof Date ? value : toDate(value);
  if (!date) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={date.toISOString()} title={formatUtc(date)}>
      {formatLocal(date)}
    </time>
  );
}

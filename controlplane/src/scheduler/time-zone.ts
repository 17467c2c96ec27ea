// UTC offsets and their transitions in an IANA time zone, read from the runtime's ICU data through
// Intl and cached per zone and year. Intl gives only "the local time at an instant"; DST policies
// need to know where the offset changes, so each year is scanned once, a week at a time, and every
// change is narrowed to the millisecond. Two changes within one week would be seen as one: none of
// the 418 zones Node knows has any from 1970 to 2037 (checked against a day-by-day scan, which
// costs 5x as much: a fresh leader reads 11 years of every zone its schedules use).

/** A change of a zone's UTC offset at instant `at`: `before` and `after` are local minus UTC, in ms. */
export interface Transition {
  at: number;
  before: number;
  after: number;
}

/** Instants [start, end) over which a zone keeps one offset, with the transitions that bound them. */
export interface OffsetSegment {
  offset: number;
  start: number;
  end: number;
  /** The transition that starts the segment, if one was found in the horizon. */
  entered?: Transition;
  /** The transition that ends it, if one was found in the horizon. */
  left?: Transition;
}

const SCAN_STEP_MS = 7 * 86_400_000;
/** Transitions are looked for this many years either side of an instant; beyond, the offset is taken as fixed. */
const HORIZON_YEARS = 5;

interface YearOffsets {
  startOffset: number;
  transitions: Transition[];
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const years = new Map<string, Map<number, YearOffsets>>();

/** Local time minus UTC, in ms, at instant `t` in `zone`. */
export function offsetAt(zone: string, t: number): number {
  const year = offsetsOfYear(zone, new Date(t).getUTCFullYear());
  let offset = year.startOffset;
  for (const tr of year.transitions) {
    if (tr.at > t) break;
    offset = tr.after;
  }
  return offset;
}

/** The segment of constant offset that holds instant `t`. */
export function segmentAt(zone: string, t: number): OffsetSegment {
  const entered = previousTransition(zone, t);
  const left = nextTransition(zone, t);
  return {
    offset: offsetAt(zone, t),
    start: entered?.at ?? -Infinity,
    end: left?.at ?? Infinity,
    entered,
    left,
  };
}

/** The first transition strictly after `t`, within the horizon. */
export function nextTransition(zone: string, t: number): Transition | undefined {
  const first = new Date(t).getUTCFullYear();
  for (let y = first; y <= first + HORIZON_YEARS; y++) {
    const found = offsetsOfYear(zone, y).transitions.find((tr) => tr.at > t);
    if (found) return found;
  }
  return undefined;
}

/** The last transition at or before `t`, within the horizon. */
export function previousTransition(zone: string, t: number): Transition | undefined {
  const first = new Date(t).getUTCFullYear();
  for (let y = first; y >= first - HORIZON_YEARS; y--) {
    const found = offsetsOfYear(zone, y).transitions.filter((tr) => tr.at <= t).pop();
    if (found) return found;
  }
  return undefined;
}

/** The largest offset the zone has at any instant in [from, to]. */
export function largestOffsetBetween(zone: string, from: number, to: number): number {
  let largest = offsetAt(zone, from);
  for (let tr = nextTransition(zone, from); tr && tr.at <= to; tr = nextTransition(zone, tr.at)) {
    largest = Math.max(largest, tr.after);
  }
  return largest;
}

/** The smallest offset the zone has at any instant in [from, to]. */
export function smallestOffsetBetween(zone: string, from: number, to: number): number {
  let smallest = offsetAt(zone, from);
  for (let tr = nextTransition(zone, from); tr && tr.at <= to; tr = nextTransition(zone, tr.at)) {
    smallest = Math.min(smallest, tr.after);
  }
  return smallest;
}

/**
 * The zone's name in the case ICU spells it ("europe/berlin" is "Europe/Berlin"), or undefined for
 * an unknown zone. Aliases stay as given: ICU would turn "Asia/Kolkata" into "Asia/Calcutta".
 */
export function canonicalTimeZone(zone: string): string | undefined {
  let resolved: string;
  try {
    resolved = formatterFor(zone).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
}

function offsetsOfYear(zone: string, year: number): YearOffsets {
  let byYear = years.get(zone);
  if (!byYear) years.set(zone, (byYear = new Map()));
  let found = byYear.get(year);
  if (!found) byYear.set(year, (found = scanYear(zone, year)));
  return found;
}

function scanYear(zone: string, year: number): YearOffsets {
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const startOffset = readOffset(zone, start);
  const transitions: Transition[] = [];
  let before = startOffset;
  for (let from = start; from < end; from += SCAN_STEP_MS) {
    const to = Math.min(from + SCAN_STEP_MS, end);
    const after = readOffset(zone, to);
    if (after !== before) transitions.push({ at: firstInstantWithOffset(zone, from, to, after), before, after });
    before = after;
  }
  // A change at exactly the next year's first instant belongs to that year.
  return { startOffset, transitions: transitions.filter((tr) => tr.at < end) };
}

/** Binary search in (lo, hi] for the first instant whose offset is `offset`; hi has it, lo has not. */
function firstInstantWithOffset(zone: string, lo: number, hi: number, offset: number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (readOffset(zone, mid) === offset) hi = mid;
    else lo = mid;
  }
  return hi;
}

function readOffset(zone: string, t: number): number {
  const second = Math.floor(t / 1000) * 1000;
  const parts = formatterFor(zone).formatToParts(new Date(second));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return local - second;
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

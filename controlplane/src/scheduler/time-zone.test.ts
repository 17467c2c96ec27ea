import { describe, expect, it } from "vitest";
import { canonicalTimeZone, largestOffsetBetween, nextTransition, offsetAt, previousTransition, segmentAt } from "./time-zone.js";

// Expected instants below were worked out from the zones' rules and checked against the runtime's
// Intl data with a minute-by-minute scan, not read off the implementation.

const HOUR = 3_600_000;
const MINUTE = 60_000;
const at = (iso: string) => Date.parse(iso);
/** An offset written the usual way: "+02:00", "-05:00", "+10:30". */
const off = (hhmm: string) => {
  const [, sign, h, m] = /^([+-])(\d\d):(\d\d)$/.exec(hhmm)!;
  return (sign === "-" ? -1 : 1) * (Number(h) * HOUR + Number(m) * MINUTE);
};

const intlFormats = new Map<string, Intl.DateTimeFormat>();

/** The offset at `t` read straight from Intl, independently of the module under test. */
function intlOffset(zone: string, t: number): number {
  let format = intlFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    intlFormats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(t));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const whole = Math.floor(t / 1000) * 1000;
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second")) - whole;
}

/** A transition as the tests write it: ISO instant and the offsets either side. */
const transition = (iso: string, before: string, after: string) => ({ at: at(iso), before: off(before), after: off(after) });

interface ZoneYear {
  zone: string;
  /** Offsets at a few instants well away from any transition: [ISO instant, offset]. */
  offsets: [string, string][];
  /** Every transition of the year, in order. */
  transitions: ReturnType<typeof transition>[];
  year: number;
}

const zoneYears: ZoneYear[] = [
  {
    zone: "Europe/Berlin",
    year: 2026,
    offsets: [
      ["2026-01-15T12:00:00Z", "+01:00"],
      ["2026-07-01T12:00:00Z", "+02:00"],
      ["2026-12-01T12:00:00Z", "+01:00"],
    ],
    transitions: [transition("2026-03-29T01:00:00Z", "+01:00", "+02:00"), transition("2026-10-25T01:00:00Z", "+02:00", "+01:00")],
  },
  {
    zone: "America/New_York",
    year: 2026,
    offsets: [
      ["2026-01-15T12:00:00Z", "-05:00"],
      ["2026-07-01T12:00:00Z", "-04:00"],
      ["2026-12-01T12:00:00Z", "-05:00"],
    ],
    transitions: [transition("2026-03-08T07:00:00Z", "-05:00", "-04:00"), transition("2026-11-01T06:00:00Z", "-04:00", "-05:00")],
  },
  {
    // A 30-minute DST shift. Local 2026-04-05 02:00 (+11) falls back to 01:30 (+10:30), which is
    // 2026-04-04T15:00Z; local 2026-10-04 02:00 (+10:30) springs forward to 02:30 (+11), which is
    // 2026-10-03T15:30Z. (The UTC date is the day before the local one.)
    zone: "Australia/Lord_Howe",
    year: 2026,
    offsets: [
      ["2026-01-15T12:00:00Z", "+11:00"],
      ["2026-07-01T12:00:00Z", "+10:30"],
      ["2026-12-01T12:00:00Z", "+11:00"],
    ],
    transitions: [transition("2026-04-04T15:00:00Z", "+11:00", "+10:30"), transition("2026-10-03T15:30:00Z", "+10:30", "+11:00")],
  },
  {
    // Brazil's DST: ended 2018-02-17 24:00 (-02) -> 23:00 (-03), began 2018-11-04 00:00 (-03) -> 01:00 (-02).
    zone: "America/Sao_Paulo",
    year: 2018,
    offsets: [
      ["2018-01-15T12:00:00Z", "-02:00"],
      ["2018-07-01T12:00:00Z", "-03:00"],
      ["2018-12-15T12:00:00Z", "-02:00"],
    ],
    transitions: [transition("2018-02-18T02:00:00Z", "-02:00", "-03:00"), transition("2018-11-04T03:00:00Z", "-03:00", "-02:00")],
  },
];

describe.each(zoneYears)("$zone in $year", ({ zone, year, offsets, transitions }) => {
  it.each(offsets)("has offset at %s of %s", (iso, offset) => {
    expect(offsetAt(zone, at(iso))).toBe(off(offset));
  });

  it("switches offset exactly at each transition instant", () => {
    for (const tr of transitions) {
      expect(offsetAt(zone, tr.at - 1)).toBe(tr.before);
      expect(offsetAt(zone, tr.at)).toBe(tr.after);
      expect(offsetAt(zone, tr.at + 1)).toBe(tr.after);
    }
  });

  it("finds the year's transitions walking forward with nextTransition", () => {
    const found = [];
    for (let tr = nextTransition(zone, Date.UTC(year, 0, 1)); tr && tr.at < Date.UTC(year + 1, 0, 1); tr = nextTransition(zone, tr.at)) {
      found.push(tr);
    }
    expect(found).toEqual(transitions);
  });

  it("nextTransition is strictly after, previousTransition at or before", () => {
    for (const tr of transitions) {
      expect(nextTransition(zone, tr.at - 1)).toEqual(tr);
      expect(nextTransition(zone, tr.at)).not.toEqual(tr);
      expect(previousTransition(zone, tr.at)).toEqual(tr);
      expect(previousTransition(zone, tr.at + 1)).toEqual(tr);
      expect(previousTransition(zone, tr.at - 1)).not.toEqual(tr);
      expect(previousTransition(zone, tr.at - 1)!.at).toBeLessThan(tr.at);
    }
  });

  it("gives the segment between the two transitions", () => {
    const [first, second] = transitions;
    const middle = (first!.at + second!.at) / 2;
    expect(segmentAt(zone, middle)).toEqual({ offset: first!.after, start: first!.at, end: second!.at, entered: first, left: second });
    // The transition instant itself belongs to the segment it starts.
    expect(segmentAt(zone, first!.at)).toMatchObject({ offset: first!.after, start: first!.at, end: second!.at });
    expect(segmentAt(zone, first!.at - 1)).toMatchObject({ offset: first!.before, end: first!.at, left: first });
  });

  it("agrees with Intl every six hours of the year and either side of each transition", () => {
    const samples: number[] = [];
    for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += 6 * HOUR) samples.push(t);
    for (const tr of transitions) samples.push(tr.at - 1000, tr.at, tr.at + 1000);
    for (const t of samples) expect(offsetAt(zone, t), new Date(t).toISOString()).toBe(intlOffset(zone, t));
  });
});

describe("transitions across years", () => {
  it("Europe/Berlin: the spring transition before 2026's is the autumn of 2025, the next after 2026's autumn is spring 2027", () => {
    expect(previousTransition("Europe/Berlin", at("2026-03-29T00:59:59.999Z"))).toEqual(
      transition("2025-10-26T01:00:00Z", "+02:00", "+01:00"),
    );
    expect(nextTransition("Europe/Berlin", at("2026-10-25T01:00:00Z"))).toEqual(transition("2027-03-28T01:00:00Z", "+01:00", "+02:00"));
  });

  it("Australia/Lord_Howe: the summer segment spans the new year", () => {
    expect(segmentAt("Australia/Lord_Howe", at("2027-01-01T00:00:00Z"))).toMatchObject({
      offset: off("+11:00"),
      start: at("2026-10-03T15:30:00Z"),
      entered: transition("2026-10-03T15:30:00Z", "+10:30", "+11:00"),
    });
  });
});

describe("zones without DST", () => {
  it.each([
    ["Asia/Kolkata", "+05:30"],
    ["UTC", "+00:00"],
  ])("%s keeps offset %s all year, with no transitions", (zone, offset) => {
    for (const iso of ["2026-01-01T00:00:00Z", "2026-03-29T01:00:00Z", "2026-07-01T12:00:00Z", "2026-10-25T01:00:00Z", "2026-12-31T23:59:59.999Z"]) {
      expect(offsetAt(zone, at(iso))).toBe(off(offset));
    }
    expect(nextTransition(zone, at("2026-01-01T00:00:00Z"))).toBeUndefined();
    expect(previousTransition(zone, at("2026-12-31T00:00:00Z"))).toBeUndefined();
    expect(segmentAt(zone, at("2026-06-01T00:00:00Z"))).toEqual({
      offset: off(offset),
      start: -Infinity,
      end: Infinity,
      entered: undefined,
      left: undefined,
    });
  });
});

describe("America/Sao_Paulo, a zone whose rules changed (no DST since 2019)", () => {
  const zone = "America/Sao_Paulo";
  const lastTransition = transition("2019-02-17T02:00:00Z", "-02:00", "-03:00");

  it("springs forward at 2018-11-04T03:00Z: local 00:00-00:59 did not exist", () => {
    expect(offsetAt(zone, at("2018-11-04T02:59:59.999Z"))).toBe(off("-03:00")); // 23:59:59.999 on 11-03
    expect(offsetAt(zone, at("2018-11-04T03:00:00Z"))).toBe(off("-02:00")); // 01:00 on 11-04
  });

  it("last changed offset on 2019-02-17T02:00Z (DST ended 2019-02-16 at midnight)", () => {
    expect(nextTransition(zone, at("2018-11-04T03:00:00Z"))).toEqual(lastTransition);
    expect(nextTransition(zone, lastTransition.at)).toBeUndefined();
  });

  it("has no transitions in 2020 or later, and keeps -03:00", () => {
    for (const year of [2020, 2021, 2022, 2023]) {
      expect(nextTransition(zone, Date.UTC(year, 0, 1))).toBeUndefined();
      for (const month of [0, 3, 6, 9, 11]) expect(offsetAt(zone, Date.UTC(year, month, 15))).toBe(off("-03:00"));
    }
  });

  it("2020 lies in one open-ended segment entered by the 2019 transition", () => {
    expect(previousTransition(zone, at("2020-11-01T03:00:00Z"))).toEqual(lastTransition);
    expect(segmentAt(zone, at("2020-11-01T03:00:00Z"))).toEqual({
      offset: off("-03:00"),
      start: lastTransition.at,
      end: Infinity,
      entered: lastTransition,
      left: undefined,
    });
  });
});

describe("largestOffsetBetween", () => {
  it.each([
    // zone, from, to, largest offset
    ["Europe/Berlin", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "+01:00"],
    ["Europe/Berlin", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", "+02:00"],
    // `to` is inclusive: the transition instant itself has the new offset.
    ["Europe/Berlin", "2026-03-01T00:00:00Z", "2026-03-29T01:00:00Z", "+02:00"],
    ["Europe/Berlin", "2026-03-01T00:00:00Z", "2026-03-29T00:59:59.999Z", "+01:00"],
    // The offset at `from` counts, even when it changes just after.
    ["Europe/Berlin", "2026-10-25T00:59:59.999Z", "2026-12-01T00:00:00Z", "+02:00"],
    ["Europe/Berlin", "2026-10-25T01:00:00Z", "2026-12-01T00:00:00Z", "+01:00"],
    ["America/New_York", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", "-04:00"],
    ["America/New_York", "2026-11-01T06:00:00Z", "2027-03-01T00:00:00Z", "-05:00"],
    ["Australia/Lord_Howe", "2026-05-01T00:00:00Z", "2026-09-01T00:00:00Z", "+10:30"],
    ["Australia/Lord_Howe", "2026-05-01T00:00:00Z", "2026-10-03T15:30:00Z", "+11:00"],
    ["Asia/Kolkata", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", "+05:30"],
    ["UTC", "2026-01-01T00:00:00Z", "2026-12-31T00:00:00Z", "+00:00"],
    ["America/Sao_Paulo", "2018-03-01T00:00:00Z", "2018-12-01T00:00:00Z", "-02:00"],
    ["America/Sao_Paulo", "2020-01-01T00:00:00Z", "2022-01-01T00:00:00Z", "-03:00"],
  ])("%s over [%s, %s] is %s", (zone, from, to, largest) => {
    expect(largestOffsetBetween(zone, at(from), at(to))).toBe(off(largest));
  });
});

describe("canonicalTimeZone", () => {
  it.each(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo", "UTC"])("knows %s", (zone) => {
    expect(canonicalTimeZone(zone)).toBe(zone);
  });

  it.each([
    ["europe/berlin", "Europe/Berlin"],
    ["utc", "UTC"],
    ["US/Eastern", "US/Eastern"],
  ])("spells %j as %j", (zone, canonical) => {
    expect(canonicalTimeZone(zone)).toBe(canonical);
  });

  it.each(["Not/AZone", "", "Europe/Berlim"])("rejects %j", (zone) => {
    expect(canonicalTimeZone(zone)).toBeUndefined();
  });
});

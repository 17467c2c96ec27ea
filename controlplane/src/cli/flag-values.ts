// Parsers for flag values (durations, times, labels, enum names, counts); each throws a UsageError
// that names the flag and says what would be accepted.
import { UsageError } from "./exit-codes.js";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * "500ms", "30s", "10m", "1h30m", "7d"; a bare number is in `bareUnit`.
 * @example parseDuration("--in", "1h30m") // 5_400_000
 */
export function parseDuration(flag: string, text: string, bareUnit: keyof typeof UNIT_MS = "s"): number {
  const trimmed = text.trim();
  const ms = durationMs(trimmed, bareUnit);
  if (ms !== undefined) return ms;
  // "-5s" is a duration with a sign: say what is wrong with it rather than that it is no duration.
  if (trimmed.startsWith("-") && durationMs(trimmed.slice(1), bareUnit) !== undefined) throw new UsageError(`${flag}: "${text}" is negative; a duration must not be negative`);
  throw new UsageError(`${flag}: "${text}" is not a duration such as 30s, 10m, 1h30m or 7d`);
}

/** The milliseconds a duration's text stands for, or undefined when it is not one. */
function durationMs(text: string, bareUnit: keyof typeof UNIT_MS): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * UNIT_MS[bareUnit]);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) return undefined;
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0));
}

/**
 * An ISO 8601 time. Without an offset it is read as UTC, never as this machine's zone, so a
 * command means the same everywhere: "2026-12-01", "2026-12-01T09:00", "2026-12-01T09:00:00+01:00".
 */
export function parseTime(flag: string, text: string): Date {
  const trimmed = text.trim();
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(trimmed);
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?/i.test(trimmed);
  const date = iso ? new Date(hasZone || !trimmed.includes("T") ? trimmed : `${trimmed}Z`) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${flag}: "${text}" is not an ISO 8601 time such as 2026-12-01T09:00:00Z`);
  return date;
}

/** "key=value" into a map (repeatable flags arrive as a list). */
export function parseLabels(flag: string, pairs: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag}: "${pair}" is not key=value`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

/**
 * A lower-case, dash-separated name of a generated enum's value: "cancel-previous" for
 * OverlapPolicy.CANCEL_PREVIOUS. UNSPECIFIED is not offered.
 */
export function parseEnum<E extends Record<string, string | number>>(flag: string, text: string, values: E): E[keyof E] {
  const names = enumNames(values);
  const key = text.trim().toUpperCase().replace(/-/g, "_");
  if (!names.includes(text.trim().toLowerCase())) throw new UsageError(`${flag}: "${text}" is not one of ${names.join(", ")}`);
  return values[key as keyof E];
}

/** The flag spellings of an enum's values, for help texts and errors. */
export function enumNames(values: Record<string, string | number>): string[] {
  return Object.keys(values)
    .filter((k) => Number.isNaN(Number(k)) && k !== "UNSPECIFIED")
    .map((k) => k.toLowerCase().replace(/_/g, "-"));
}

/** A whole number within [min, max]. */
export function parseCount(flag: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: "${text}" is not a whole number from ${min} to ${max}`);
  return n;
}

/** The flag a commander option key comes from: "onMissingTime" -> "--on-missing-time". */
export const flagName = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Collects a repeatable flag's values: `.option("--label <k=v>", "…", repeatable, [])`. */
export const repeatable = (value: string, previous: string[] = []) => [...previous, value];

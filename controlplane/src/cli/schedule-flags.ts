// The schedule of `tasks create` and `tasks preview` in plain flags, built with the SDK's schedule helpers.
import { Option, type Command } from "commander";
import { CatchUpMode, duration, MissingTimePolicy, OverlapPolicy, RepeatedTimePolicy, schedules, type CronOptions, type ScheduleInit } from "@taskplane/sdk";
import { UsageError } from "./exit-codes.js";
import { enumNames, flagName, parseCount, parseDuration, parseEnum, parseTime } from "./flag-values.js";

export interface ScheduleFlags {
  cron?: string;
  tz?: string;
  at?: string;
  in?: string;
  every?: string;
  now?: boolean;
  start?: string;
  end?: string;
  overlap?: string;
  catchUp?: string;
  catchUpWindow?: string;
  catchUpMax?: string;
  jitter?: string;
  onMissingTime?: string;
  onRepeatedTime?: string;
}

const KINDS = ["cron", "at", "in", "every", "now"] as const;

export function addScheduleOptions(cmd: Command): Command {
  return cmd
    .option("--cron <expression>", 'fire on a cron expression of 5 fields, or 6 with seconds first, e.g. "0 9 * * MON-FRI"')
    .option("--tz <zone>", "the IANA time zone of --cron, e.g. Europe/Berlin [UTC]")
    .option("--at <time>", "fire once at an ISO 8601 time (UTC unless it has an offset), e.g. 2026-12-01T09:00:00Z")
    .option("--in <duration>", "fire once after a delay, e.g. 10m")
    .option("--every <duration>", "fire every interval, e.g. 30s")
    .option("--now", "fire once, now")
    .option("--start <time>", "a recurring schedule fires from this time on")
    .option("--end <time>", "a recurring schedule fires until this time")
    .addOption(new Option("--overlap <policy>", "when a fire finds the previous run unfinished [skip]").choices(enumNames(OverlapPolicy)))
    .addOption(
      new Option("--catch-up <mode>", "fires missed while the scheduler was down: skip them, run the latest, or run all [one]; the rest are SKIPPED runs").choices(
        enumNames(CatchUpMode),
      ),
    )
    .option("--catch-up-window <duration>", "only fires missed this recently are caught up, up to 30d [1h]")
    .option("--catch-up-max <n>", "with --catch-up all, at most this many missed fires run, up to 10000 [100]")
    .option("--jitter <duration>", "spread each recurring fire over [0, jitter) after its time")
    .addOption(new Option("--on-missing-time <policy>", "a cron time a DST jump forward skips [run-at-next-valid-time]").choices(enumNames(MissingTimePolicy)))
    .addOption(new Option("--on-repeated-time <policy>", "a cron time a DST jump back repeats [run-once-first]").choices(enumNames(RepeatedTimePolicy)));
}

/** The schedule the flags describe, or undefined when they name none. */
export function scheduleFromFlags(flags: ScheduleFlags): ScheduleInit | undefined {
  const given = KINDS.filter((k) => flags[k] !== undefined && flags[k] !== false);
  if (given.length > 1) throw new UsageError(`give one schedule: ${given.map((k) => `--${k}`).join(" and ")} were both given`);
  const kind = given[0];
  const recurring = kind === "cron" || kind === "every";
  if (flags.tz !== undefined && kind !== "cron") throw new UsageError("--tz goes with --cron");
  for (const flag of ["start", "end", "overlap", "catchUp", "catchUpWindow", "catchUpMax", "jitter"] as const) {
    if (flags[flag] !== undefined && !recurring) throw new UsageError(`${flagName(flag)} goes with --cron or --every`);
  }
  for (const flag of ["onMissingTime", "onRepeatedTime"] as const) {
    if (flags[flag] !== undefined && kind !== "cron") throw new UsageError(`${flagName(flag)} goes with --cron`);
  }
  const options: CronOptions = {
    startTime: flags.start === undefined ? undefined : parseTime("--start", flags.start),
    endTime: flags.end === undefined ? undefined : parseTime("--end", flags.end),
    overlapPolicy: flags.overlap === undefined ? undefined : parseEnum("--overlap", flags.overlap, OverlapPolicy),
    catchUp: catchUpFromFlags(flags),
    jitterMs: flags.jitter === undefined ? undefined : parseDuration("--jitter", flags.jitter),
    onMissingTime: flags.onMissingTime === undefined ? undefined : parseEnum("--on-missing-time", flags.onMissingTime, MissingTimePolicy),
    onRepeatedTime: flags.onRepeatedTime === undefined ? undefined : parseEnum("--on-repeated-time", flags.onRepeatedTime, RepeatedTimePolicy),
  };
  switch (kind) {
    case "cron":
      return schedules.cron(flags.cron!, flags.tz ?? "UTC", options);
    case "every":
      return schedules.every(parseDuration("--every", flags.every!), options);
    case "at":
      return schedules.at(parseTime("--at", flags.at!));
    case "in":
      return schedules.after(parseDuration("--in", flags.in!));
    case "now":
      return schedules.after(0);
    default:
      return undefined;
  }
}

/** The catch-up policy the flags describe: the server's defaults for what they leave out. */
function catchUpFromFlags(flags: ScheduleFlags): CronOptions["catchUp"] {
  if (flags.catchUp === undefined && flags.catchUpWindow === undefined && flags.catchUpMax === undefined) return undefined;
  const mode = flags.catchUp === undefined ? undefined : parseEnum("--catch-up", flags.catchUp, CatchUpMode);
  if (flags.catchUpMax !== undefined && mode !== CatchUpMode.ALL) throw new UsageError("--catch-up-max goes with --catch-up all");
  return {
    mode,
    window: flags.catchUpWindow === undefined ? undefined : duration(parseDuration("--catch-up-window", flags.catchUpWindow)),
    maxRuns: flags.catchUpMax === undefined ? undefined : parseCount("--catch-up-max", flags.catchUpMax, 0, 10_000),
  };
}

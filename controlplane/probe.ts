import { cronFires } from "./src/scheduler/zoned-cron.js";
const show = (expr: string, tz: string, from: string, n: number, onMissingTime: any = "RUN_AT_NEXT_VALID_TIME", onRepeatedTime: any = "RUN_ONCE_FIRST") => {
  console.log(`-- ${expr} ${tz} ${onMissingTime} ${onRepeatedTime}`);
  let i = 0;
  for (const f of cronFires({ expression: expr, timeZone: tz, onMissingTime, onRepeatedTime }, Date.parse(from))) {
    console.log(new Date(f.time).toISOString(), new Date(f.localTime).toISOString().slice(0, 19), f.effect, f.skipped ? "SKIPPED" : "", f.missingTimes ?? "");
    if (++i >= n) break;
  }
};
show("30 2 * * *", "Europe/Berlin", "2026-03-27T00:00:00Z", 4);
show("0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z", 4);
show("*/15 * * * *", "Europe/Berlin", "2026-03-29T00:30:00Z", 4, "SKIP");
show("30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z", 4, undefined, "RUN_BOTH");
show("30 2 * * *", "Europe/Berlin", "2026-10-24T00:00:00Z", 4, undefined, "RUN_ONCE_LAST");
show("*/15 * * * *", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", 8);
show("30 2 * * *", "Asia/Kolkata", "2026-03-27T00:00:00Z", 2);

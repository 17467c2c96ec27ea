// `taskplane tasks backfill`: BackfillTask over a past range, in parts of at most 1,000 fire times
// found with PreviewSchedule, so any range works (one call takes at most 10,000) and progress shows.
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { OverlapPolicy } from "@taskplane/sdk";
import { BackfillTaskResponseSchema } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import type { Api } from "./api-connection.js";
import { UsageError } from "./exit-codes.js";
import { parseEnum, parseTime } from "./flag-values.js";
import { printMessage } from "./output.js";
import { startProgress } from "./progress.js";

export interface BackfillFlags {
  from: string;
  to?: string;
  overlap?: string;
}

const PART = 1_000;

export async function backfillTask(api: Api, flags: BackfillFlags, [taskId]: string[]): Promise<void> {
  const from = parseTime("--from", flags.from);
  const to = flags.to === undefined ? new Date() : parseTime("--to", flags.to);
  if (to < from) throw new UsageError("--to is before --from");
  // Checked before any part is sent: the server would refuse only the part reaching past now.
  if (to > new Date()) throw new UsageError("--to is in the future; a backfill covers past fire times (leave --to out for up to now)");
  const overlap = flags.overlap === undefined ? undefined : parseEnum("--overlap", flags.overlap, OverlapPolicy);
  const schedule = (await api.client.get(taskId!)).spec?.schedule;
  const recurring = schedule?.kind.case === "cron" || schedule?.kind.case === "interval";
  const total = create(BackfillTaskResponseSchema);
  const span = Math.max(1, to.getTime() - from.getTime());
  const progress = startProgress("backfilling", 100, api.output);
  try {
    for (let start = from; ; ) {
      // The end of this part: the 1,000th fire from `start`, or the range's end. The preview counts
      // fires DST skips too, so a part holds at most 1,000 fire times and fewer fires mean the
      // schedule ends first. The server refuses any other kind of schedule with its own message.
      let end = to;
      if (recurring) {
        const { fires } = await api.client.previewFires(schedule, PART, new Date(start.getTime() - 1));
        const last = fires.at(-1)?.time;
        if (fires.length === PART && last && timestampDate(last) < to) end = timestampDate(last);
      }
      const part = await api.client.backfill(taskId!, start, end, overlap);
      total.fireTimes += part.fireTimes;
      total.created += part.created;
      total.reopened += part.reopened;
      total.existing += part.existing;
      progress.update(Math.round((100 * (end.getTime() - from.getTime())) / span), `${total.fireTimes} fire times, ${total.created} runs created`);
      if (end >= to) break;
      start = new Date(end.getTime() + 1);
    }
  } finally {
    progress.stop();
  }
  printMessage(
    api.output,
    BackfillTaskResponseSchema,
    total,
    `backfilled task ${taskId} from ${from.toISOString()} to ${to.toISOString()}: ${total.fireTimes} fire times, ${total.created} runs created, ${total.reopened} skipped runs reopened, ${total.existing} already had a run`,
  );
}

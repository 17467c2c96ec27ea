// `taskplane tasks preview`: the next fires of schedule flags or of a task, with what DST does to
// each. A task's jitter offsets are known only to the server, which gives them (as due times) for
// the task's next fires in GetTask; a task's preview takes them from there.
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import type { FireTime } from "@taskplane/proto/taskplane/v1/task_pb.js";
import type { Api } from "./api-connection.js";
import { UsageError } from "./exit-codes.js";
import { parseCount, parseTime } from "./flag-values.js";
import { printList } from "./output.js";
import { scheduleFromFlags, type ScheduleFlags } from "./schedule-flags.js";
import { fireView, jitteredFireView } from "./views.js";

export interface PreviewFlags extends ScheduleFlags {
  count: string;
  after?: string;
}

export async function previewFires(api: Api, flags: PreviewFlags, [taskId]: string[]): Promise<void> {
  const count = parseCount("--count", flags.count, 1, 1000);
  const after = flags.after === undefined ? undefined : parseTime("--after", flags.after);
  const fromFlags = scheduleFromFlags(flags);
  if (taskId && fromFlags) throw new UsageError("give a task id or schedule flags, not both");
  if (fromFlags) return printList(api.output, fireView, (await api.client.previewFires(fromFlags, count, after)).fires);
  if (!taskId) throw new UsageError("give a task id, or a schedule: --cron, --every, --at or --in");
  const { task, upcomingFires } = await api.client.service.getTask({ taskId });
  const schedule = task?.spec?.schedule;
  const { fires } = await api.client.previewFires(schedule ?? {}, count, after);
  addDueTimes(fires, upcomingFires);
  const jittered = schedule?.jitter !== undefined && durationMs(schedule.jitter) > 0;
  printList(api.output, jittered ? jitteredFireView : fireView, fires);
}

/** Gives each fire the due time the task's own next fires have for the same instant, if any. */
function addDueTimes(fires: FireTime[], upcoming: FireTime[]): void {
  const dueTimes = new Map(upcoming.filter((f) => f.time && f.dueTime).map((f) => [timestampMs(f.time!), f.dueTime]));
  for (const fire of fires) fire.dueTime ??= fire.time && dueTimes.get(timestampMs(fire.time));
}

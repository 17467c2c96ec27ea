// Schedule jitter: a fire's offset in [0, jitter) is a hash of its task and scheduled time, so the
// same fire always gets the same offset (on any replica, after any restart) while tasks that share
// a schedule spread out.
import { createHash } from "node:crypto";

export function jitterOffsetMs(taskId: string, scheduledTime: Date, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  const digest = createHash("sha256").update(`${taskId}/${scheduledTime.getTime()}`).digest();
  return digest.readUIntBE(0, 6) % Math.floor(jitterMs);
}

/** When a scheduled fire is due: its scheduled time plus the task's jitter for it. */
export function jitteredDueTime(taskId: string, scheduledTime: Date, jitterMs: number): Date {
  return new Date(scheduledTime.getTime() + jitterOffsetMs(taskId, scheduledTime, jitterMs));
}

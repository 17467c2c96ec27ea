// A progress bar on stderr for long operations (backfill, bulk create); nothing at all when stderr
// is not a terminal or the output is JSON, so pipes and scripts see only the result.
import cliProgress from "cli-progress";
import type { OutputFormat } from "./output.js";

export interface Progress {
  /** Moves to `value` of the total, with a short status ("created 1,200"). */
  update(value: number, status?: string): void;
  stop(): void;
}

const SILENT: Progress = { update: () => {}, stop: () => {} };

export function startProgress(
  label: string,
  total: number,
  output: OutputFormat,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (output === "json" || !stream.isTTY) return SILENT;
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {percentage}% | {status}`, hideCursor: true, clearOnComplete: false, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: "" });
  return {
    update: (value, status = "") => bar.update(value, { status }),
    stop: () => bar.stop(),
  };
}

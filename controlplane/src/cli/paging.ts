// Lists read page after page up to --limit, so a command returns what was asked, not one page.
import type { Command } from "commander";
import { parseCount } from "./flag-values.js";

const MAX_PAGE = 1_000;

export function addLimitOption(cmd: Command, fallback = 100): Command {
  return cmd.option("--limit <n>", `at most this many, 0 for all [${fallback}]`, String(fallback));
}

export const limitOf = (flags: { limit: string }) => parseCount("--limit", flags.limit, 0);

/** Fetches pages until `limit` items (0: all) or the last page. */
export async function collectPages<T>(limit: number, fetch: (pageSize: number, pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>): Promise<T[]> {
  const items: T[] = [];
  let pageToken = "";
  do {
    const want = limit === 0 ? MAX_PAGE : Math.min(MAX_PAGE, limit - items.length);
    const page = await fetch(want, pageToken);
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken && (limit === 0 || items.length < limit));
  return limit === 0 ? items : items.slice(0, limit);
}

// Listings: optional filters as a WHERE clause with numbered parameters, read a page at a time by
// the table's seq, with an opaque token for the next page.
import type { Page } from "../../domain/model.js";
import type { Queryable } from "./db.js";
import { decodePageToken, encodePageToken } from "./rows.js";

export class Filters {
  private readonly clauses: string[] = ["true"];
  readonly params: unknown[] = [];

  /** Adds `clause` with its "?" bound to `value`. */
  add(clause: string, value: unknown): this {
    this.params.push(value);
    this.clauses.push(clause.replace("?", `$${this.params.length}`));
    return this;
  }

  /** Adds a clause with no parameter. */
  raw(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  get sql(): string {
    return this.clauses.join(" AND ");
  }
}

/**
 * One page of `SELECT … FROM …` (which must select seq) under `filters`, oldest first or newest
 * first, and the token that continues after its last row.
 */
export async function selectPage<R extends { seq: string }, T>(
  db: Queryable,
  query: { select: string; filters: Filters; newestFirst: boolean },
  pageSize: number,
  pageToken: string,
  map: (row: R) => T,
): Promise<Page<T>> {
  const { select, filters, newestFirst } = query;
  const from = decodePageToken(pageToken);
  if (from) filters.add(newestFirst ? "seq < ?" : "seq > ?", from);
  filters.params.push(pageSize + 1);
  const { rows } = await db.query<R>(
    `${select} WHERE ${filters.sql} ORDER BY seq ${newestFirst ? "DESC" : "ASC"} LIMIT $${filters.params.length}`,
    filters.params,
  );
  const page = rows.slice(0, pageSize);
  return { items: page.map(map), nextPageToken: rows.length > pageSize ? encodePageToken(page[page.length - 1]!.seq) : "" };
}

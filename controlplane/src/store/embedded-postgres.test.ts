// `taskplane dev`'s Postgres: a second start on a data dir in use says why it cannot start.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "./embedded-postgres.js";

describe("embedded Postgres", () => {
  const started: EmbeddedDatabase[] = [];
  let dataDir = "";
  afterAll(async () => {
    await Promise.allSettled(started.map((db) => db.stop()));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("refuses a second start on a data dir in use, naming the dir and what Postgres said", async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "taskplane-dev-"));
    started.push(await startEmbeddedPostgres(dataDir));
    const second = startEmbeddedPostgres(dataDir);
    await expect(second).rejects.toThrow(/^Postgres in .*taskplane-dev-.*\/postgres did not start \(is another `taskplane dev` using this data dir\?.*postmaster\.pid/);
  });
});

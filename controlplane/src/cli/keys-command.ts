// `taskplane keys new|rotate`: key-encryption keys for task data at rest. Their modules load only
// when one of them runs, so the API commands start quickly.
import { Command } from "commander";
import type { ConfigFlags } from "../config.js";

export function keysCommand(): Command {
  const keys = new Command("keys").description("key-encryption keys for task data at rest (TASKPLANE_ENCRYPTION_KEYS)");
  keys
    .command("new")
    .description('print a new key entry: put it first in TASKPLANE_ENCRYPTION_KEYS ("new,old")')
    .option("--id <id>", "the key's id", `k${new Date().toISOString().slice(0, 10).replaceAll("-", "")}`)
    .action(async (flags: { id: string }) => {
      const { newKeyEntry } = await import("../security/local-key-ring.js");
      const { parseKeyRing } = await import("../security/key-ring.js");
      const entry = newKeyEntry(flags.id);
      parseKeyRing(entry); // refuses an id the ring would not take
      console.log(entry);
    });
  keys
    .command("rotate")
    .description("re-wrap every encrypted task's data key under the newest key, so older keys can be removed")
    .option("--database <url>", "Postgres URL (TASKPLANE_DATABASE_URL)")
    .action(async (flags: ConfigFlags) => rotate(flags));
  return keys;
}

async function rotate(flags: ConfigFlags): Promise<void> {
  const { loadConfig } = await import("../config.js");
  const { rotateDataKeys } = await import("../security/rotate-data-keys.js");
  const { PgStore } = await import("../store/pg/pg-store.js");
  const config = loadConfig(flags);
  if (!config.databaseUrl) throw new Error("no database URL: pass --database or set TASKPLANE_DATABASE_URL");
  const ring = config.encryptionKeys;
  if (!ring) throw new Error("no keys configured: set TASKPLANE_ENCRYPTION_KEYS (newest first) or TASKPLANE_ENCRYPTION_KEYS_FILE");
  const store = await PgStore.open({ url: config.databaseUrl, poolSize: 2 });
  try {
    const tty = process.stderr.isTTY;
    const done = await rotateDataKeys(store, ring, (p) => tty && process.stderr.write(`\rchecked ${p.checked}, re-wrapped ${p.rewrapped}`));
    if (tty) process.stderr.write("\n");
    const summary = `${done.rewrapped} of ${done.checked} encrypted tasks re-wrapped under ${ring.current.id}`;
    if (done.remaining) {
      // Tasks created during the rotation by a replica that did not have the newest key yet.
      throw new Error(`${summary}, but ${done.remaining} are still under older keys: give every replica ${ring.current.id} first, then rotate again`);
    }
    console.log(`${summary}; keys other than ${ring.current.id} are no longer needed`);
  } finally {
    await store.close();
  }
}

// `taskplane keys new|rotate`: key-encryption keys for payloads at rest.
import { Command } from "commander";
import { loadConfig, type ConfigFlags } from "../config.js";
import { newKeyEntry } from "../security/local-key-ring.js";
import { rotateDataKeys } from "../security/rotate-data-keys.js";
import { PgStore } from "../store/pg/pg-store.js";

export function keysCommand(): Command {
  const keys = new Command("keys").description("key-encryption keys for task data at rest (TASKPLANE_ENCRYPTION_KEYS)");
  keys
    .command("new")
    .description('print a new key entry: put it first in TASKPLANE_ENCRYPTION_KEYS ("new,old")')
    .option("--id <id>", "the key's id", `k${new Date().toISOString().slice(0, 10).replaceAll("-", "")}`)
    .action((flags: { id: string }) => console.log(newKeyEntry(flags.id)));
  keys
    .command("rotate")
    .description("re-wrap every encrypted task's data key under the newest key, so older keys can be removed")
    .option("--database <url>", "Postgres URL (TASKPLANE_DATABASE_URL)")
    .action(async (flags: ConfigFlags) => {
      const config = loadConfig(flags);
      if (!config.databaseUrl) throw new Error("no database URL: pass --database or set TASKPLANE_DATABASE_URL");
      if (!config.encryptionKeys) throw new Error("no keys configured: set TASKPLANE_ENCRYPTION_KEYS (newest first) or TASKPLANE_ENCRYPTION_KEYS_FILE");
      const store = await PgStore.open({ url: config.databaseUrl, poolSize: 2 });
      try {
        const ring = config.encryptionKeys;
        const done = await rotateDataKeys(store, ring, (p) => process.stderr.isTTY && process.stderr.write(`\rchecked ${p.checked}, re-wrapped ${p.rewrapped}`));
        if (process.stderr.isTTY) process.stderr.write("\n");
        console.log(`${done.rewrapped} of ${done.checked} encrypted tasks re-wrapped under ${ring.current.id}; keys other than ${ring.current.id} are no longer needed`);
      } finally {
        await store.close();
      }
    });
  return keys;
}

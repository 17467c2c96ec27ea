// `taskplane token`: mints a token with the data dir's local key (the one `taskplane dev` trusts).
import { Command } from "commander";
import { ROLES, type Role } from "../auth/principal.js";
import { UsageError } from "./exit-codes.js";
import { parseDuration } from "./flag-values.js";

interface TokenFlags {
  dataDir?: string;
  subject: string;
  role: string;
  namespace: string;
  queue: string;
  ttl: string;
}

export function tokenCommand(): Command {
  return new Command("token")
    .description("mint a token signed with the data dir's local key (the one `taskplane dev` trusts), for dev and tests")
    .option("--data-dir <dir>", "where the local signing key is kept (TASKPLANE_DATA_DIR)")
    .option("--subject <name>", "who the token is for", "dev")
    .option("--role <roles>", `comma-separated roles: ${ROLES.join(", ")}`, "admin")
    .option("--namespace <namespaces>", "comma-separated namespaces, * for all", "*")
    .option("--queue <queues>", "comma-separated queues a worker may poll, * for all", "*")
    .option("--ttl <duration>", "how long it is valid: 90s, 30m, 12h, 7d", "12h")
    .action(async (flags: TokenFlags) => {
      const split = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
      const roles = split(flags.role);
      const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
      if (unknown.length) throw new UsageError(`--role: unknown ${unknown.join(", ")}; choose from ${ROLES.join(", ")}`);
      const ttlSeconds = Math.ceil(parseDuration("--ttl", flags.ttl) / 1000);
      const [{ loadConfig }, { loadLocalKeys, mintToken }] = await Promise.all([import("../config.js"), import("../auth/local-keys.js")]);
      const keys = await loadLocalKeys(loadConfig({ dataDir: flags.dataDir }).dataDir);
      console.log(await mintToken(keys, { subject: flags.subject, roles: roles as Role[], namespaces: split(flags.namespace), queues: split(flags.queue), ttlSeconds }));
    });
}

// The `taskplane` command: dev (everything in one process), serve, migrate.
import { Command } from "commander";
import { pino } from "pino";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadConfig, type Config, type ConfigFlags } from "./config.js";
import { startControlPlane } from "./control-plane.js";
import { createPool } from "./store/pg/db.js";
import { migrate } from "./store/migrate.js";
import { loadLocalKeys, mintToken } from "./auth/local-keys.js";
import { ROLES, type Role } from "./auth/principal.js";
import { createLogger } from "./telemetry/logger.js";
import { setupTracing } from "./telemetry/tracing.js";

const program = new Command("taskplane").description("Taskplane: a distributed task scheduler");

const serverFlags = (cmd: Command) =>
  cmd
    .option("--host <host>", "address to listen on (TASKPLANE_HOST)", undefined)
    .option("--port <port>", "port for gRPC, gRPC-Web and Connect (TASKPLANE_PORT)", undefined)
    .option("--otlp-endpoint <url>", "export traces over OTLP/HTTP to this URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)")
    .option("--log-level <level>", "pino log level (TASKPLANE_LOG_LEVEL)")
    .option("--callback-allow <cidrs>", "comma-separated networks callbacks may reach although private, e.g. 10.0.0.0/8 (TASKPLANE_CALLBACK_ALLOW)");

serverFlags(program.command("dev"))
  .description("run everything in one process: embedded Postgres, scheduler, dispatch and API")
  .option("--data-dir <dir>", "where the embedded Postgres keeps its data (TASKPLANE_DATA_DIR)")
  .action(async (flags: ConfigFlags) => {
    const config = loadConfig(flags);
    const logger = createLogger(config.logLevel);
    logger.info({ dataDir: config.dataDir }, "starting embedded Postgres");
    const { startEmbeddedPostgres } = await import("./store/embedded-postgres.js");
    const db = await startEmbeddedPostgres(config.dataDir);
    const keys = await loadLocalKeys(config.dataDir);
    const auth = config.auth ?? keys.settings;
    const adminToken = config.auth ? undefined : await mintToken(keys, { subject: "dev-admin", roles: ["admin"], namespaces: ["*"], queues: ["*"], ttlSeconds: 30 * 86_400 });
    await run({ ...config, databaseUrl: db.url, auth, callbacks: await devCallbackSettings(config) }, logger, db.stop, { adminToken });
  });

serverFlags(program.command("serve"))
  .description("run a control plane against an existing Postgres")
  .option("--database <url>", "Postgres URL (TASKPLANE_DATABASE_URL)")
  .option("--etcd <endpoints>", "comma-separated etcd endpoints for scheduler leadership across replicas (TASKPLANE_ETCD_ENDPOINTS)")
  .option("--nats <servers>", "comma-separated NATS servers for dispatch over JetStream across replicas (TASKPLANE_NATS_SERVERS)")
  .option("--insecure-no-auth", "serve without authentication: anyone who reaches the port may do anything")
  .action(async (flags: ConfigFlags & { insecureNoAuth?: boolean }) => {
    const config = loadConfig(flags);
    if (!config.auth && !flags.insecureNoAuth) {
      throw new Error("no authentication configured: set TASKPLANE_AUTH_ISSUER, TASKPLANE_AUTH_AUDIENCE and TASKPLANE_AUTH_JWKS_URL (or _JWKS_FILE), or pass --insecure-no-auth");
    }
    await run(config, createLogger(config.logLevel), async () => {});
  });

program
  .command("token")
  .description("mint a token signed with the data dir's local key (the one `taskplane dev` trusts), for dev and tests")
  .option("--data-dir <dir>", "where the local signing key is kept (TASKPLANE_DATA_DIR)")
  .option("--subject <name>", "who the token is for", "dev")
  .option("--role <roles>", `comma-separated roles: ${ROLES.join(", ")}`, "admin")
  .option("--namespace <namespaces>", "comma-separated namespaces, * for all", "*")
  .option("--queue <queues>", "comma-separated queues a worker may poll, * for all", "*")
  .option("--ttl <duration>", "how long it is valid: 90s, 30m, 12h, 7d", "12h")
  .action(async (flags: { dataDir?: string; subject: string; role: string; namespace: string; queue: string; ttl: string }) => {
    const roles = flags.role.split(",").map((r) => r.trim());
    const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (unknown.length) throw new Error(`--role: unknown ${unknown.join(", ")}; choose from ${ROLES.join(", ")}`);
    const keys = await loadLocalKeys(loadConfig({ dataDir: flags.dataDir }).dataDir);
    const split = (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean);
    console.log(await mintToken(keys, { subject: flags.subject, roles: roles as Role[], namespaces: split(flags.namespace), queues: split(flags.queue), ttlSeconds: parseTtl(flags.ttl) }));
  });

/** "90s", "30m", "12h", "7d" or plain seconds. */
function parseTtl(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) throw new Error(`--ttl: "${text}" is not a duration such as 90s, 30m, 12h or 7d`);
  return Number(m[1]) * { "": 1, s: 1, m: 60, h: 3_600, d: 86_400 }[m[2] as "" | "s" | "m" | "h" | "d"];
}

program
  .command("migrate")
  .description("apply database migrations and exit")
  .option("--database <url>", "Postgres URL (TASKPLANE_DATABASE_URL)")
  .action(async (flags: ConfigFlags) => {
    const config = loadConfig(flags);
    if (!config.databaseUrl) throw new Error("no database URL: pass --database or set TASKPLANE_DATABASE_URL");
    const pool = createPool(config.databaseUrl, 1);
    const { applied } = await migrate(pool);
    await pool.end();
    console.log(applied.length ? `applied ${applied.join(", ")}` : "database is up to date");
  });

/** Serves until SIGTERM or SIGINT; in dev, prints how to use it (with its admin token, when it made one). */
async function run(config: Config, logger: pino.Logger, afterStop: () => Promise<void>, dev?: { adminToken?: string }) {
  const stopTracing = setupTracing({ otlpEndpoint: config.otlpEndpoint });
  const plane = await startControlPlane(config, { logger });
  if (dev) printNextSteps(config.host, plane.port, config.callbacks.secrets[0]!, dev.adminToken);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const forced = setTimeout(() => process.exit(1), config.shutdownGraceMs).unref();
    await plane.stop();
    await afterStop();
    await stopTracing();
    clearTimeout(forced);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/**
 * Dev mode signs callbacks with a secret kept in the data dir (made on first start) and lets
 * them reach this machine, so a local receiver works with no setup.
 */
async function devCallbackSettings(config: Config): Promise<Config["callbacks"]> {
  const file = join(config.dataDir, "callback-secret");
  const secrets = config.callbacks.secrets.length ? config.callbacks.secrets : [await readOrCreateSecret(file)];
  const allowedNetworks = config.callbacks.allowedNetworks.length ? config.callbacks.allowedNetworks : ["127.0.0.0/8", "::1/128"];
  return { ...config.callbacks, secrets, allowedNetworks };
}

async function readOrCreateSecret(file: string): Promise<string> {
  const existing = await readFile(file, "utf8").catch(() => "");
  if (existing.trim()) return existing.trim();
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, secret + "\n", { mode: 0o600 });
  return secret;
}

function printNextSteps(host: string, port: number, callbackSecret: string, adminToken: string | undefined) {
  const url = `http://${host}:${port}`;
  const token = adminToken
    ? `Every call needs a token. An admin token for this machine (more with \`taskplane token\`):
  export TASKPLANE_TOKEN=${adminToken}
`
    : "Every call needs a token from the issuer you configured, in TASKPLANE_TOKEN for the SDK and examples.\n";
  console.log(`
Taskplane is running at ${url} (gRPC, gRPC-Web and Connect on one port).

${token}
Next:
  npx tsx examples/quickstart/worker.ts     # a worker for the quickstart's task types
  npx tsx examples/quickstart/run.ts        # submit one-time, delayed, cron and manual tasks
  npx buf curl --protocol grpc --http2-prior-knowledge --list-methods ${url}

Callbacks are signed with ${callbackSecret}
(verify them with verifyWebhook from @taskplane/sdk; the secret is kept in the data dir).

Stop with Ctrl-C.`);
}

program.parseAsync().catch((e: Error) => {
  console.error(`taskplane: ${e.message}`);
  process.exit(1);
});

// What `taskplane dev`, `serve` and `migrate` do; loaded only when one of them runs.
import { pino } from "pino";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { loadConfig, type Config, type ConfigFlags } from "../config.js";
import { startControlPlane } from "../control-plane.js";
import { createPool } from "../store/pg/db.js";
import { migrate } from "../store/migrate.js";
import { loadLocalKeys, mintToken } from "../auth/local-keys.js";
import { loadLocalKeyRing } from "../security/local-key-ring.js";
import { createLogger } from "../telemetry/logger.js";
import { setupTracing } from "../telemetry/tracing.js";

export async function dev(flags: ConfigFlags) {
  const config = loadConfig(flags);
  const logger = createLogger(config.logLevel);
  logger.info({ dataDir: config.dataDir }, "starting embedded Postgres");
  const { startEmbeddedPostgres } = await import("../store/embedded-postgres.js");
  const db = await startEmbeddedPostgres(config.dataDir);
  const keys = await loadLocalKeys(config.dataDir);
  const auth = config.auth ?? keys.settings;
  const adminToken = config.auth ? undefined : await mintToken(keys, { subject: "dev-admin", roles: ["admin"], namespaces: ["*"], queues: ["*"], ttlSeconds: 30 * 86_400 });
  // Payloads are encrypted at rest in dev too, with a key kept in the data dir.
  const encryptionKeys = config.encryptionKeys ?? (await loadLocalKeyRing(config.dataDir));
  await run({ ...config, databaseUrl: db.url, auth, encryptionKeys, callbacks: await devCallbackSettings(config) }, logger, db.stop, { adminToken });
}

export async function serve(flags: ConfigFlags & { insecureNoAuth?: boolean }) {
  const config = loadConfig(flags);
  if (!config.auth && !flags.insecureNoAuth) {
    throw new Error("no authentication configured: set TASKPLANE_AUTH_ISSUER, TASKPLANE_AUTH_AUDIENCE and TASKPLANE_AUTH_JWKS_URL (or _JWKS_FILE), or pass --insecure-no-auth");
  }
  await run(config, createLogger(config.logLevel), async () => {});
}

export async function migrateDatabase(flags: ConfigFlags) {
  const config = loadConfig(flags);
  if (!config.databaseUrl) throw new Error("no database URL: pass --database or set TASKPLANE_DATABASE_URL");
  const pool = createPool(config.databaseUrl, 1);
  const { applied } = await migrate(pool);
  await pool.end();
  console.log(applied.length ? `applied ${applied.join(", ")}` : "database is up to date");
}

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
Dashboard: ${url}/ui/${adminToken ? `#token=${adminToken}` : ""}
  (the link signs this browser in, then drops the token from the address bar)

${token}
Next:
  npx tsx examples/quickstart/worker.ts     # a worker for the quickstart's task types
  npx tsx examples/quickstart/run.ts        # submit one-time, delayed, cron and manual tasks
  npx taskplane tasks list                  # the CLI: tasks, runs, logs, workers, audit (docs/cli.md)
  npx buf curl --protocol grpc --http2-prior-knowledge --list-methods ${url}

Callbacks are signed with ${callbackSecret}
(verify them with verifyWebhook from @taskplane/sdk; the secret is kept in the data dir).

Stop with Ctrl-C.`);
}

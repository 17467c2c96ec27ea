// `taskplane dev`, `serve` and `migrate`: the control plane itself. Their modules load only when one
// of them runs, so the API commands start quickly.
import { Command } from "commander";
import type { ConfigFlags } from "../config.js";

const serverFlags = (cmd: Command) =>
  cmd
    .option("--host <host>", "address to listen on (TASKPLANE_HOST)", undefined)
    .option("--port <port>", "port for gRPC, gRPC-Web and Connect (TASKPLANE_PORT)", undefined)
    .option("--otlp-endpoint <url>", "export traces over OTLP/HTTP to this URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)")
    .option("--log-level <level>", "pino log level (TASKPLANE_LOG_LEVEL)")
    .option("--callback-allow <cidrs>", "comma-separated networks callbacks may reach although private, e.g. 10.0.0.0/8 (TASKPLANE_CALLBACK_ALLOW)");

export function devCommand(): Command {
  return serverFlags(new Command("dev"))
    .description("run everything in one process: embedded Postgres, scheduler, dispatch and API")
    .option("--data-dir <dir>", "where the embedded Postgres keeps its data (TASKPLANE_DATA_DIR)")
    .action(async (flags: ConfigFlags) => (await import("./server-actions.js")).dev(flags));
}

export function serveCommand(): Command {
  return serverFlags(new Command("serve"))
    .description("run a control plane against an existing Postgres")
    .option("--database <url>", "Postgres URL (TASKPLANE_DATABASE_URL)")
    .option("--etcd <endpoints>", "comma-separated etcd endpoints for scheduler leadership across replicas (TASKPLANE_ETCD_ENDPOINTS)")
    .option("--nats <servers>", "comma-separated NATS servers for dispatch over JetStream across replicas (TASKPLANE_NATS_SERVERS)")
    .option("--insecure-no-auth", "serve without authentication: anyone who reaches the port may do anything")
    .action(async (flags: ConfigFlags & { insecureNoAuth?: boolean }) => (await import("./server-actions.js")).serve(flags));
}

export function migrateCommand(): Command {
  return new Command("migrate")
    .description("apply database migrations and exit")
    .option("--database <url>", "Postgres URL (TASKPLANE_DATABASE_URL)")
    .action(async (flags: ConfigFlags) => (await import("./server-actions.js")).migrateDatabase(flags));
}

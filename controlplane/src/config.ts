// Environment and flags -> one typed Config. Flags win over TASKPLANE_* environment variables.
import { DEFAULT_SCHEDULER_OPTIONS, type SchedulerOptions } from "./scheduler/scheduler.js";

export interface Config {
  host: string;
  port: number;
  /** Postgres URL; unset in `taskplane dev`, which starts an embedded Postgres. */
  databaseUrl?: string;
  /** Where `taskplane dev` keeps its embedded Postgres. */
  dataDir: string;
  /** etcd endpoints for scheduler leadership; unset means this process always leads (single node). */
  etcdEndpoints?: string[];
  /** The leadership lease's time-to-live in seconds. */
  leaderTtlSeconds: number;
  /** NATS servers for dispatch over JetStream; unset means in-process dispatch (single node). */
  natsServers?: string[];
  /** Copies of the dispatch stream in a NATS cluster. */
  natsStreamReplicas: number;
  otlpEndpoint?: string;
  logLevel: string;
  scheduler: SchedulerOptions;
  /** Seconds SIGTERM waits for in-flight work before closing. */
  shutdownGraceMs: number;
}

export interface ConfigFlags {
  host?: string;
  port?: string | number;
  database?: string;
  dataDir?: string;
  otlpEndpoint?: string;
  logLevel?: string;
  etcd?: string;
  nats?: string;
}

const list = (value: string | undefined) => value?.split(",").map((e) => e.trim()).filter(Boolean);

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(flags.port ?? env.TASKPLANE_PORT ?? 7070);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: "${flags.port ?? env.TASKPLANE_PORT}" is not a TCP port`);
  return {
    host: flags.host ?? env.TASKPLANE_HOST ?? "127.0.0.1",
    port,
    databaseUrl: flags.database ?? env.TASKPLANE_DATABASE_URL ?? env.DATABASE_URL,
    dataDir: flags.dataDir ?? env.TASKPLANE_DATA_DIR ?? ".taskplane",
    etcdEndpoints: list(flags.etcd ?? env.TASKPLANE_ETCD_ENDPOINTS),
    leaderTtlSeconds: Number(env.TASKPLANE_LEADER_TTL_SECONDS ?? 10),
    natsServers: list(flags.nats ?? env.TASKPLANE_NATS_SERVERS),
    natsStreamReplicas: Number(env.TASKPLANE_NATS_STREAM_REPLICAS ?? 1),
    otlpEndpoint: flags.otlpEndpoint ?? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    logLevel: flags.logLevel ?? env.TASKPLANE_LOG_LEVEL ?? "info",
    scheduler: { ...DEFAULT_SCHEDULER_OPTIONS },
    shutdownGraceMs: Number(env.TASKPLANE_SHUTDOWN_GRACE_MS ?? 10_000),
  };
}

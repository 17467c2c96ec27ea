// Environment and flags -> one typed Config. Flags win over TASKPLANE_* environment variables.
import { readFileSync } from "node:fs";
import { DEFAULT_ALGORITHMS, type AuthSettings } from "./auth/auth-settings.js";
import { parseKeyRing, type KeyRing } from "./security/key-ring.js";
import { DEFAULT_LIMIT_SETTINGS, type LimitSettings } from "./limits/limit-settings.js";
import type { TlsSettings } from "./server.js";
import { DEFAULT_CALLBACK_SETTINGS, SECRET_PATTERN, type CallbackSettings } from "./callbacks/callback-settings.js";
import { DEFAULT_NOTIFICATION_SETTINGS, type NotificationSettings } from "./notifications/notification-settings.js";
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
  callbacks: CallbackSettings;
  notifications: NotificationSettings;
  /** Bearer-token authentication; unset means every caller may do everything (dev, tests). */
  auth?: AuthSettings;
  limits: LimitSettings;
  /** Callers with only the viewer role see tasks and runs without payloads, outputs or log lines. */
  hideViewerPayloads: boolean;
  /** Serve TLS (HTTP/2 and HTTP/1.1 by ALPN) with this certificate; unset serves plaintext (h2c). */
  tls?: TlsSettings;
  /** Key-encryption keys, newest first: with them, new tasks' data is stored encrypted. */
  encryptionKeys?: KeyRing;
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
  callbackAllow?: string;
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
    callbacks: callbackSettings(flags, env),
    auth: authSettings(env),
    limits: DEFAULT_LIMIT_SETTINGS,
    hideViewerPayloads: viewerPayloads(env.TASKPLANE_VIEWER_PAYLOADS) === "hidden",
    tls: tlsSettings(env),
    encryptionKeys: encryptionKeys(env),
    notifications: {
      ...DEFAULT_NOTIFICATION_SETTINGS,
      smtpUrl: env.TASKPLANE_SMTP_URL,
      emailFrom: env.TASKPLANE_EMAIL_FROM ?? DEFAULT_NOTIFICATION_SETTINGS.emailFrom,
      publicUrl: env.TASKPLANE_PUBLIC_URL,
    },
    shutdownGraceMs: Number(env.TASKPLANE_SHUTDOWN_GRACE_MS ?? 10_000),
  };
}

function callbackSettings(flags: ConfigFlags, env: NodeJS.ProcessEnv): CallbackSettings {
  const secrets = list(env.TASKPLANE_CALLBACK_SECRETS) ?? [];
  const bad = secrets.find((s) => !SECRET_PATTERN.test(s));
  if (bad) throw new Error(`TASKPLANE_CALLBACK_SECRETS: "${bad.slice(0, 10)}…" is not a Standard Webhooks secret (whsec_ and base64)`);
  const maxAgeSeconds = Number(env.TASKPLANE_CALLBACK_MAX_AGE_SECONDS ?? DEFAULT_CALLBACK_SETTINGS.maxAgeMs / 1000);
  if (!(maxAgeSeconds > 0)) throw new Error(`TASKPLANE_CALLBACK_MAX_AGE_SECONDS: "${env.TASKPLANE_CALLBACK_MAX_AGE_SECONDS}" is not a positive number`);
  return {
    ...DEFAULT_CALLBACK_SETTINGS,
    secrets,
    namespaceSecrets: namespaceSecrets(env.TASKPLANE_CALLBACK_NAMESPACE_SECRETS),
    allowedNetworks: list(flags.callbackAllow ?? env.TASKPLANE_CALLBACK_ALLOW) ?? [],
    maxAgeMs: maxAgeSeconds * 1000,
  };
}

/** Authentication is on when an issuer is configured; then its audience and keys are required. */
function authSettings(env: NodeJS.ProcessEnv): AuthSettings | undefined {
  const issuer = env.TASKPLANE_AUTH_ISSUER;
  if (!issuer) return undefined;
  const audience = env.TASKPLANE_AUTH_AUDIENCE;
  if (!audience) throw new Error("TASKPLANE_AUTH_AUDIENCE: required with TASKPLANE_AUTH_ISSUER");
  const jwksFile = env.TASKPLANE_AUTH_JWKS_FILE;
  const jwksUrl = env.TASKPLANE_AUTH_JWKS_URL;
  if (!jwksFile === !jwksUrl) throw new Error("authentication needs exactly one of TASKPLANE_AUTH_JWKS_URL and TASKPLANE_AUTH_JWKS_FILE");
  return {
    issuer,
    audience,
    algorithms: list(env.TASKPLANE_AUTH_ALGORITHMS) ?? DEFAULT_ALGORITHMS,
    jwksUrl,
    jwks: jwksFile ? JSON.parse(readFileSync(jwksFile, "utf8")) : undefined,
    clockToleranceSeconds: Number(env.TASKPLANE_AUTH_CLOCK_TOLERANCE_SECONDS ?? 30),
  };
}

function viewerPayloads(value = "visible"): "visible" | "hidden" {
  if (value === "visible" || value === "hidden") return value;
  throw new Error(`TASKPLANE_VIEWER_PAYLOADS: "${value}" is neither "visible" nor "hidden"`);
}

/** TASKPLANE_ENCRYPTION_KEYS ("id:base64key,…" newest first), or the same text in TASKPLANE_ENCRYPTION_KEYS_FILE. */
function encryptionKeys(env: NodeJS.ProcessEnv): KeyRing | undefined {
  const file = env.TASKPLANE_ENCRYPTION_KEYS_FILE;
  const name = file ? "TASKPLANE_ENCRYPTION_KEYS_FILE" : "TASKPLANE_ENCRYPTION_KEYS";
  const text = file ? readFileSync(file, "utf8") : env.TASKPLANE_ENCRYPTION_KEYS;
  if (!text?.trim()) return undefined;
  try {
    return parseKeyRing(text.trim());
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
}

/** TLS is on when a certificate is given; its key is then required, and a client CA turns on mTLS. */
function tlsSettings(env: NodeJS.ProcessEnv): TlsSettings | undefined {
  const certFile = env.TASKPLANE_TLS_CERT_FILE;
  if (!certFile) return undefined;
  const keyFile = env.TASKPLANE_TLS_KEY_FILE;
  if (!keyFile) throw new Error("TASKPLANE_TLS_KEY_FILE: required with TASKPLANE_TLS_CERT_FILE");
  const read = (name: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`${name}: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  const caFile = env.TASKPLANE_TLS_CLIENT_CA_FILE;
  return {
    cert: read("TASKPLANE_TLS_CERT_FILE", certFile),
    key: read("TASKPLANE_TLS_KEY_FILE", keyFile),
    clientCa: caFile ? read("TASKPLANE_TLS_CLIENT_CA_FILE", caFile) : undefined,
  };
}

/** "blue=whsec_new|whsec_old,red=whsec_…": each namespace's secrets, newest first. */
function namespaceSecrets(text: string | undefined): Record<string, string[]> {
  const entries = (list(text) ?? []).map((entry) => {
    const [namespace, secrets] = entry.split("=", 2);
    const parsed = (secrets ?? "").split("|").filter(Boolean);
    if (!namespace || parsed.length === 0 || parsed.some((s) => !SECRET_PATTERN.test(s))) {
      throw new Error(`TASKPLANE_CALLBACK_NAMESPACE_SECRETS: "${entry.slice(0, 20)}…" is not namespace=whsec_…[|whsec_…]`);
    }
    return [namespace, parsed] as const;
  });
  return Object.fromEntries(entries);
}

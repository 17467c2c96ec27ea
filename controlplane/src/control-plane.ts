// Wiring: store, queue, scheduler, dispatch and API for one control-plane process.
import { hostname } from "node:os";
import type { Logger } from "pino";
import { auditInterceptor } from "./api/audit-interceptor.js";
import { auditService } from "./api/audit-service.js";
import { clusterService } from "./api/cluster-service.js";
import { authInterceptor } from "./api/auth-interceptor.js";
import { viewerRedaction } from "./api/viewer-redaction.js";
import type { Interceptor } from "@connectrpc/connect";
import { notificationService } from "./api/notification-service.js";
import { createTokenVerifier } from "./auth/token-verifier.js";
import { taskService } from "./api/task-service.js";
import { AddressGuard } from "./callbacks/address-guard.js";
import { CallbackDelivery } from "./callbacks/callback-delivery.js";
import { callbackRules } from "./callbacks/callback-rules.js";
import { workerService } from "./api/worker-service.js";
import type { Config } from "./config.js";
import type { Leadership } from "./coordination/leadership.js";
import { EtcdLeadership } from "./coordination/etcd-leadership.js";
import { SingleNodeLeadership } from "./coordination/single-node-leadership.js";
import { Dispatcher } from "./dispatch/dispatcher.js";
import { InProcessRunQueue } from "./dispatch/in-process-queue.js";
import { WorkerPresence } from "./dispatch/worker-presence.js";
import { JetStreamRunQueue } from "./dispatch/jetstream-queue.js";
import type { RunQueue } from "./dispatch/run-queue.js";
import { systemClock, type Clock } from "./domain/clock.js";
import { CallbackOperations } from "./domain/callback-operations.js";
import { NotificationOperations } from "./domain/notification-operations.js";
import { channelRules } from "./notifications/channel-rules.js";
import { NotificationChannels } from "./notifications/notification-channels.js";
import { Notifier } from "./notifications/notifier.js";
import { RunReports } from "./domain/run-reports.js";
import { TaskOperations } from "./domain/task-operations.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { startApiServer } from "./server.js";
import { PgStore } from "./store/pg/pg-store.js";
import type { Store } from "./store/store.js";
import type { KeyRing } from "./security/key-ring.js";
import { sealedStore } from "./security/sealed-store.js";
import { createLogger } from "./telemetry/logger.js";
import { Metrics } from "./telemetry/metrics.js";
import { tracedStore } from "./telemetry/traced-store.js";
import { tracingEnabled } from "./telemetry/tracing.js";

export interface ControlPlane {
  port: number;
  /** Stops accepting polls, finishes in-flight writes, and closes everything. */
  stop(): Promise<void>;
}

export interface ControlPlaneDeps {
  logger?: Logger;
  clock?: Clock;
  leadership?: Leadership;
}

function leadershipFor(config: Config, logger: Logger): Leadership {
  if (!config.etcdEndpoints?.length) return new SingleNodeLeadership();
  return new EtcdLeadership({
    endpoints: config.etcdEndpoints,
    ttlSeconds: config.leaderTtlSeconds,
    candidate: `${hostname()}:${process.pid}:${config.port}`,
    logger,
  });
}

/** Seals task data with the configured keys; without keys, refuses a database that holds sealed data. */
async function withEncryption(store: Store, keys: KeyRing | undefined): Promise<Store> {
  if (keys) return sealedStore(store, keys);
  if (await store.anyTaskEncrypted()) {
    await store.close();
    throw new Error("this database holds encrypted tasks but no keys are configured: set TASKPLANE_ENCRYPTION_KEYS (or _FILE) to the keys they were written with");
  }
  return store;
}

/** The auth interceptor, and inside it (so it knows the caller) the viewers' redaction when asked for. */
const withViewerRedaction = (auth: Interceptor, hide: boolean): Interceptor => (hide ? (next) => auth(viewerRedaction(next)) : auth);

export async function startControlPlane(config: Config, deps: ControlPlaneDeps = {}): Promise<ControlPlane> {
  if (!config.databaseUrl) throw new Error("no database URL: pass --database or set TASKPLANE_DATABASE_URL");
  const logger = deps.logger ?? createLogger(config.logLevel);
  const clock = deps.clock ?? systemClock;
  const pgStore = await PgStore.open({ url: config.databaseUrl });
  const store = await withEncryption(tracingEnabled() ? tracedStore(pgStore) : pgStore, config.encryptionKeys);
  const queue: RunQueue = config.natsServers?.length
    ? await JetStreamRunQueue.connect({ servers: config.natsServers, streamReplicas: config.natsStreamReplicas, logger })
    : new InProcessRunQueue();
  const leadership = deps.leadership ?? leadershipFor(config, logger);
  const metrics = new Metrics(() => store.clusterStats());
  const scheduler = new Scheduler({ store, queue, clock, leadership, logger, metrics }, config.scheduler);
  const dispatcher = new Dispatcher(queue, store, clock, metrics, logger, { perWorker: config.limits.pollsPerWorker, perNamespace: config.limits.pollsPerNamespace });
  const guard = new AddressGuard(config.callbacks.allowedNetworks);
  const callbackPolicy = callbackRules(guard, config.callbacks);
  const tasks = new TaskOperations(store, clock, scheduler, callbackPolicy, metrics);
  const callbacks = new CallbackOperations(store, clock, callbackPolicy);
  const reports = new RunReports(store, clock, scheduler, metrics, logger);
  const delivery = new CallbackDelivery({ store, clock, guard, logger, metrics }, config.callbacks);
  const notificationRules = new NotificationOperations(store, clock, channelRules(guard, config.notifications, config.callbacks.secrets));
  const channels = new NotificationChannels(guard, config.notifications, config.callbacks.secrets);
  const server = await startApiServer(
    {
      tasks: taskService(tasks, callbacks, clock),
      workers: workerService(dispatcher, new WorkerPresence(store, clock, logger), reports, clock),
      notifications: notificationService(notificationRules),
      audit: auditService(store),
      cluster: clusterService(store, clock),
    },
    {
      host: config.host,
      port: config.port,
      logger,
      metrics,
      audit: auditInterceptor(store, logger),
      auth: config.auth && withViewerRedaction(authInterceptor(createTokenVerifier(config.auth), config.limits), config.hideViewerPayloads),
      tls: config.tls,
    },
  );
  const publicUrl = config.notifications.publicUrl ?? `${config.tls ? "https" : "http"}://${config.host}:${server.port}`;
  const notifier = new Notifier({ store, clock, channels, logger, metrics }, { ...config.notifications, publicUrl });
  const started = scheduler.start().catch((e) => logger.error({ err: e }, "scheduler failed to start"));
  delivery.start();
  notifier.start();
  logger.info({ port: server.port }, "control plane listening");
  return {
    port: server.port,
    async stop() {
      dispatcher.stop();
      await scheduler.stop();
      await started;
      await delivery.stop();
      await notifier.stop();
      await server.close();
      await leadership.close();
      await store.close();
      logger.info("control plane stopped");
    },
  };
}

// The HTTP/2 (h2c) server: one port speaking gRPC, gRPC-Web and Connect (HTTP/1.1 too), with the
// validation, error-mapping and tracing interceptors and gRPC server reflection.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { createContextValues, type ConnectRouter, type Interceptor, type ServiceImpl } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { file_taskplane_v1_task_service, TaskService } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import { file_taskplane_v1_worker_service, WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { file_taskplane_v1_notification_service, NotificationService } from "@taskplane/proto/taskplane/v1/notification_service_pb.js";
import { AuditService, file_taskplane_v1_audit_service } from "@taskplane/proto/taskplane/v1/audit_service_pb.js";
import { ClusterService, file_taskplane_v1_cluster_service } from "@taskplane/proto/taskplane/v1/cluster_service_pb.js";
import { peerKey } from "./api/audit-interceptor.js";
import type { Logger } from "pino";
import { errorInterceptor, metricsInterceptor, tracingInterceptor, validationInterceptor } from "./api/interceptors.js";
import type { Metrics } from "./telemetry/metrics.js";
import { reflectionRoutes } from "./api/reflection-service.js";
import { withDashboard } from "./api/dashboard-assets.js";

export interface ApiServer {
  port: number;
  close(): Promise<void>;
}

export async function startApiServer(
  services: {
    tasks: ServiceImpl<typeof TaskService>;
    workers: ServiceImpl<typeof WorkerService>;
    notifications: ServiceImpl<typeof NotificationService>;
    audit: ServiceImpl<typeof AuditService>;
    cluster: ServiceImpl<typeof ClusterService>;
  },
  options: { host: string; port: number; logger: Logger; metrics: Metrics; audit: Interceptor; auth?: Interceptor; tls?: TlsSettings },
): Promise<ApiServer> {
  const routes = (router: ConnectRouter) => {
    router.service(TaskService, services.tasks);
    router.service(WorkerService, services.workers);
    router.service(NotificationService, services.notifications);
    router.service(AuditService, services.audit);
    router.service(ClusterService, services.cluster);
    reflectionRoutes([
      file_taskplane_v1_task_service,
      file_taskplane_v1_worker_service,
      file_taskplane_v1_notification_service,
      file_taskplane_v1_audit_service,
      file_taskplane_v1_cluster_service,
    ])(router);
  };
  const rpc = connectNodeAdapter({
    routes,
    // Outermost first: trace the call, count it by its final code, map errors, then validate.
    // Authentication comes before validation, so an unauthenticated caller learns nothing of the rules.
    interceptors: [
      tracingInterceptor,
      metricsInterceptor(options.metrics),
      options.audit,
      errorInterceptor(options.logger),
      ...(options.auth ? [options.auth] : []),
      validationInterceptor,
    ],
    // Workers sit next to the control plane: gzip costs more CPU than it saves on the wire.
    acceptCompression: [],
    contextValues: (req) => createContextValues().set(peerKey, req.socket?.remoteAddress),
  });
  // The dashboard's files at /ui need no token: every API call it makes carries one.
  const handler = withDashboard(withMetricsEndpoint(rpc, options.metrics));
  const h1 = http.createServer(handler);
  const h2 = options.tls ? http2.createSecureServer({ ...secureOptions(options.tls), settings: WINDOW_SETTINGS }, handler) : http2.createServer({ settings: WINDOW_SETTINGS }, handler);
  const sessions = new Set<http2.Http2Session>();
  h2.on("session", (s) => {
    s.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  // With TLS, ALPN picks HTTP/2 or HTTP/1.1 and the secure server speaks both; without it, the
  // first bytes say which (h2c with prior knowledge, or HTTP/1.1).
  const server = options.tls ? (h2 as http2.Http2SecureServer) : net.createServer((socket) => routeByProtocol(socket, h2, h1));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle connections would hold close() open; ask them to finish their streams and go.
        for (const s of sessions) s.close();
        h1.closeIdleConnections();
      }),
  };
}

/**
 * HTTP/2 starts every connection and stream with a 64 KiB receive window, which Node never widens:
 * a batch of 1,000 new tasks or of results would wait for WINDOW_UPDATE round trips to a busy
 * event loop. Wider windows let such a request arrive at once (Node's 10 MB session memory cap
 * still bounds what one client can leave unread).
 */
const WINDOW_SETTINGS: http2.Settings = { initialWindowSize: 1 << 20 };
const CONNECTION_WINDOW_BYTES = 4 << 20;

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0");

/** h2c with prior knowledge starts with the HTTP/2 preface; anything else is HTTP/1.1. */
function routeByProtocol(socket: net.Socket, h2: http2.Http2Server, h1: http.Server): void {
  socket.on("error", () => socket.destroy());
  // Peek in paused mode: the HTTP/2 session picks unshifted bytes up from the socket's buffer.
  socket.once("readable", () => {
    const chunk = socket.read() as Buffer | null;
    if (!chunk) return socket.end();
    socket.unshift(chunk);
    const isH2 = chunk.subarray(0, H2_PREFACE.length).equals(H2_PREFACE);
    (isH2 ? h2 : h1).emit("connection", socket);
  });
}

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/**
 * GET /metrics answers Prometheus on the API port (`?name=` once or more: only those metrics);
 * everything else goes to the RPC handler.
 */
function withMetricsEndpoint(rpc: Handler, metrics: Metrics): Handler {
  return (req, res) => {
    if (req.method !== "GET" || !(req.url === "/metrics" || req.url?.startsWith("/metrics?"))) return rpc(req, res);
    void metrics.render(new URL(req.url, "http://localhost").searchParams.getAll("name")).then(
      ({ contentType, body }) => (res as http.ServerResponse).writeHead(200, { "content-type": contentType }).end(body),
      () => (res as http.ServerResponse).writeHead(500).end(),
    );
  };
}

export interface TlsSettings {
  cert: Buffer;
  key: Buffer;
  /** With a CA, every client must present a certificate it signed (mutual TLS). */
  clientCa?: Buffer;
}

function secureOptions(tls: TlsSettings): http2.SecureServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    allowHTTP1: true,
    ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

// Clients for the API on the same origin, over the Connect protocol, each call with the bearer token.
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AuditService } from "@taskplane/proto/taskplane/v1/audit_service_pb.js";
import { ClusterService } from "@taskplane/proto/taskplane/v1/cluster_service_pb.js";
import { TaskService } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import { readToken } from "./token.js";

const bearer: Interceptor = (next) => (req) => {
  const token = readToken();
  if (token) req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};

const transport = createConnectTransport({ baseUrl: location.origin, interceptors: [bearer] });

export const tasks = createClient(TaskService, transport);
export const cluster = createClient(ClusterService, transport);
export const audit = createClient(AuditService, transport);

// One table says what each method needs, another what each role grants; the auth interceptor
// checks every call against them. A method missing from the table is refused, so a new RPC is
// closed until someone decides who may call it.
import type { Role } from "./principal.js";

/** "discover" (server reflection) needs no token at all. */
export type Permission = "tasks.read" | "tasks.create" | "tasks.operate" | "notifications.manage" | "audit.read" | "work" | "discover";

const METHOD_PERMISSIONS: Record<string, Permission> = {
  "taskplane.v1.TaskService/CreateTask": "tasks.create",
  "taskplane.v1.TaskService/BatchCreateTasks": "tasks.create",
  "taskplane.v1.TaskService/GetTask": "tasks.read",
  "taskplane.v1.TaskService/ListTasks": "tasks.read",
  "taskplane.v1.TaskService/ListRuns": "tasks.read",
  "taskplane.v1.TaskService/GetRun": "tasks.read",
  "taskplane.v1.TaskService/ListRunLogs": "tasks.read",
  "taskplane.v1.TaskService/PreviewSchedule": "tasks.read",
  "taskplane.v1.TaskService/ListDeliveries": "tasks.read",
  "taskplane.v1.TaskService/CancelTask": "tasks.operate",
  "taskplane.v1.TaskService/RetryTask": "tasks.operate",
  "taskplane.v1.TaskService/TriggerTask": "tasks.operate",
  "taskplane.v1.TaskService/PauseTask": "tasks.operate",
  "taskplane.v1.TaskService/ResumeTask": "tasks.operate",
  "taskplane.v1.TaskService/DeleteTask": "tasks.operate",
  "taskplane.v1.TaskService/BackfillTask": "tasks.operate",
  "taskplane.v1.TaskService/UpdateTaskCallback": "tasks.operate",
  "taskplane.v1.TaskService/RedeliverCallback": "tasks.operate",
  "taskplane.v1.NotificationService/CreateNotificationRule": "notifications.manage",
  "taskplane.v1.NotificationService/DeleteNotificationRule": "notifications.manage",
  "taskplane.v1.NotificationService/ListNotificationRules": "tasks.read",
  "taskplane.v1.AuditService/ListAuditEvents": "audit.read",
  "taskplane.v1.ClusterService/GetOverview": "tasks.read",
  "taskplane.v1.ClusterService/ListWorkers": "tasks.read",
  "taskplane.v1.WorkerService/PollTasks": "work",
  "taskplane.v1.WorkerService/Heartbeat": "work",
  "taskplane.v1.WorkerService/CompleteRun": "work",
  "taskplane.v1.WorkerService/FailRun": "work",
  "taskplane.v1.WorkerService/ReportRuns": "work",
  "taskplane.v1.WorkerService/AppendLogs": "work",
  "taskplane.v1.WorkerService/ShutdownWorker": "work",
  "grpc.reflection.v1.ServerReflection/ServerReflectionInfo": "discover",
  "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": "discover",
};

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ["tasks.read", "tasks.create", "tasks.operate", "notifications.manage", "audit.read", "work", "discover"],
  operator: ["tasks.read", "tasks.operate", "notifications.manage", "discover"],
  submitter: ["tasks.read", "tasks.create", "discover"],
  viewer: ["tasks.read", "discover"],
  worker: ["work", "discover"],
};

/** The permission a method needs; undefined for a method no one has been granted. */
export const permissionFor = (procedure: string): Permission | undefined => METHOD_PERMISSIONS[procedure];

export const grants = (roles: readonly Role[], permission: Permission) => roles.some((r) => ROLE_PERMISSIONS[r].includes(permission));

/** Every method the table covers, for a test that the table and the services agree. */
export const coveredProcedures = () => Object.keys(METHOD_PERMISSIONS);

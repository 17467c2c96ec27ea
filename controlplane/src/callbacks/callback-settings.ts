// How callbacks are signed, where they may go, and how long they are retried.

export interface CallbackSettings {
  /** The server's Standard Webhooks secrets ("whsec_…"), newest first; a namespace's or a task's own win. */
  secrets: string[];
  /** Secrets per namespace, newest first (TASKPLANE_CALLBACK_NAMESPACE_SECRETS). */
  namespaceSecrets: Record<string, string[]>;
  /** CIDRs callbacks may reach although private, loopback or similar (TASKPLANE_CALLBACK_ALLOW). */
  allowedNetworks: string[];
  /** How long a delivery is retried after its event, or after a redelivery. */
  maxAgeMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** One POST's time limit, connection included. */
  timeoutMs: number;
  /** How often each replica looks for due deliveries. */
  pollIntervalMs: number;
  /** POSTs in flight per replica. */
  concurrency: number;
}

export const DEFAULT_CALLBACK_SETTINGS: CallbackSettings = {
  secrets: [],
  namespaceSecrets: {},
  allowedNetworks: [],
  maxAgeMs: 24 * 3_600_000,
  initialBackoffMs: 5_000,
  maxBackoffMs: 3_600_000,
  timeoutMs: 10_000,
  pollIntervalMs: 250,
  concurrency: 16,
};

/** "whsec_" and canonical base64 of at least 24 bytes: what every Standard Webhooks library can decode. */
export const SECRET_PATTERN = /^whsec_(?:[A-Za-z0-9+/]{4}){8,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The secrets that sign a task's events: its own, else its namespace's, else the server's. */
export function signingSecrets(settings: CallbackSettings, namespace: string, taskSecrets: string[]): string[] {
  if (taskSecrets.length) return taskSecrets;
  return settings.namespaceSecrets[namespace] ?? settings.secrets;
}

// Who is calling, as their token says: roles, and the namespaces and queues they may use.

export const ROLES = ["admin", "operator", "submitter", "viewer", "worker"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** The token's subject. */
  subject: string;
  roles: Role[];
  /** Namespaces this principal may use; "*" is all. */
  namespaces: string[];
  /** For workers: the queues they may poll; "*" is all. */
  queues: string[];
}

export const mayUse = (allowed: string[], value: string) => allowed.includes("*") || allowed.includes(value);

// What a scenario runs against: one `taskplane serve` process (single node), or, with `--cluster`,
// two replicas with etcd leadership and JetStream dispatch, whose workers fail over between them.
import { startControlPlaneProcess, type ControlPlaneProcess } from "../../controlplane/test/harness/control-plane-process.js";

export interface Deployment extends ControlPlaneProcess {
  /** Where workers connect: every replica. */
  addresses: string[];
  /** "single node" or "2 replicas, etcd, JetStream". */
  description: string;
}

let cluster: { etcd: string; nats: string } | undefined;

/** Makes every scenario run against a two-replica cluster on these services. */
export function useCluster(services: { etcd: string; nats: string }): void {
  cluster = services;
}

export function deploymentName(): string {
  return cluster ? "2 replicas, etcd leadership, JetStream dispatch" : "single node";
}

export async function startDeployment(databaseUrl: string): Promise<Deployment> {
  if (!cluster) {
    const cp = await startControlPlaneProcess(databaseUrl);
    return { ...cp, addresses: [cp.address], description: deploymentName() };
  }
  const flags = ["--etcd", cluster.etcd, "--nats", cluster.nats];
  // The first replica starts first and leads: its process is the one the CPU meter watches.
  const leader = await startControlPlaneProcess(databaseUrl, { flags });
  const follower = await startControlPlaneProcess(databaseUrl, { flags });
  return {
    ...leader,
    addresses: [leader.address, follower.address],
    description: deploymentName(),
    async stop() {
      const [exit] = await Promise.all([leader.stop(), follower.stop()]);
      return exit;
    },
  };
}

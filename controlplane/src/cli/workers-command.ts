// `taskplane workers list`: the workers ClusterService has seen, with their running attempts.
import { Command } from "commander";
import { apiAction, apiCommand } from "./api-connection.js";
import { printList } from "./output.js";
import { workerView } from "./views.js";

export function workersCommand(): Command {
  const workers = new Command("workers").description("see the workers polling the control plane");
  apiAction<{ queue?: string }>(
    apiCommand(workers, "list", "workers seen in the last ten minutes, most recently seen first").option("--queue <queue>", "only workers of this queue"),
    async (api, flags) => {
      printList(api.output, workerView, await api.client.workers({ namespace: api.namespace, queue: flags.queue }));
    },
  );
  return workers;
}

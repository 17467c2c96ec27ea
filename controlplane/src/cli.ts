// The `taskplane` command: the control plane (dev, serve, migrate, token, keys) and the API clients
// (tasks, runs, workers, audit). Wiring only: each command group is a file in cli/.
import { Command } from "commander";
import { auditCommand } from "./cli/audit-command.js";
import { describeFailure } from "./cli/exit-codes.js";
import { keysCommand } from "./cli/keys-command.js";
import { runsCommand } from "./cli/runs-command.js";
import { devCommand, migrateCommand, serveCommand } from "./cli/server-commands.js";
import { tasksCommand } from "./cli/tasks-command.js";
import { tokenCommand } from "./cli/token-command.js";
import { workersCommand } from "./cli/workers-command.js";

const program = new Command("taskplane").description("Taskplane: a distributed task scheduler");

for (const command of [devCommand(), serveCommand(), tokenCommand(), migrateCommand(), keysCommand(), tasksCommand(), runsCommand(), workersCommand(), auditCommand()]) {
  program.addCommand(command);
}

// Usage errors surface as CommanderErrors (exit code 2) instead of commander exiting on its own.
const everyCommand = (c: Command): Command[] => [c, ...c.commands.flatMap(everyCommand)];
for (const command of everyCommand(program)) {
  command.exitOverride().configureOutput({ outputError: (text, write) => write(`taskplane: ${text.replace(/^error: /, "")}`) });
}

program.parseAsync().catch((e: unknown) => {
  const { exitCode, message } = describeFailure(e);
  if (message) console.error(message);
  process.exit(exitCode);
});

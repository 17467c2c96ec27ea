// `taskplane audit list`: the audit trail (admins), newest first, with its filters.
import { Command } from "commander";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { apiAction, apiCommand } from "./api-connection.js";
import { parseTime } from "./flag-values.js";
import { printList } from "./output.js";
import { addLimitOption, collectPages, limitOf } from "./paging.js";
import { auditView } from "./views.js";

interface AuditFlags {
  principal?: string;
  action?: string;
  target?: string;
  refused?: boolean;
  since?: string;
  until?: string;
  limit: string;
}

export function auditCommand(): Command {
  const audit = new Command("audit").description("read the audit trail of changes and security refusals");
  apiAction<AuditFlags>(
    addLimitOption(
      apiCommand(audit, "list", "audit events, newest first (needs the admin role)")
        .option("--principal <subject>", "only calls by this token subject")
        .option("--action <method>", "only this method, e.g. CancelTask")
        .option("--target <id>", "only calls on this task, run, rule or delivery id")
        .option("--refused", "only refusals")
        .option("--since <time>", "only events at or after this time")
        .option("--until <time>", "only events before this time"),
    ),
    async (api, flags) => {
      const filter = {
        namespace: api.namespace,
        principal: flags.principal,
        action: flags.action,
        target: flags.target,
        refusedOnly: flags.refused ?? false,
        startTime: flags.since === undefined ? undefined : timestampFromDate(parseTime("--since", flags.since)),
        endTime: flags.until === undefined ? undefined : timestampFromDate(parseTime("--until", flags.until)),
      };
      const events = await collectPages(limitOf(flags), async (pageSize, pageToken) => {
        const page = await api.client.auditEvents({ ...filter, pageSize, pageToken });
        return { items: page.events, nextPageToken: page.nextPageToken };
      });
      printList(api.output, auditView, events);
    },
  );
  return audit;
}

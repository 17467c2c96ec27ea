// The notifications module's answer to the domain's ChannelPolicy: refuse, when a rule is created,
// a channel this server could never send to.
import { checkRequestUrl, type AddressGuard } from "../callbacks/address-guard.js";
import type { ChannelPolicy } from "../domain/notification-operations.js";
import { FailedPreconditionError } from "../domain/errors.js";
import type { NotificationChannel } from "../domain/model.js";
import type { NotificationSettings } from "./notification-settings.js";

export function channelRules(guard: AddressGuard, settings: NotificationSettings, webhookSecrets: string[]): ChannelPolicy {
  const checkUrl = (field: string, url: string) => checkRequestUrl(guard, field, url);
  return {
    check(channel: NotificationChannel) {
      if (channel.kind === "slack") return checkUrl("rule.slack.webhook_url", channel.webhookUrl);
      if (channel.kind === "webhook") {
        checkUrl("rule.webhook.url", channel.url);
        if (webhookSecrets.length === 0) throw new FailedPreconditionError("rule.webhook: this server has no signing secret; start it with TASKPLANE_CALLBACK_SECRETS");
        return;
      }
      if (!settings.smtpUrl) throw new FailedPreconditionError("rule.email: this server has no SMTP relay; start it with TASKPLANE_SMTP_URL");
    },
  };
}

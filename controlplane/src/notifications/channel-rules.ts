// The notifications module's answer to the domain's ChannelPolicy: refuse, when a rule is created,
// a channel this server could never send to.
import { RefusedAddressError, type AddressGuard } from "../callbacks/address-guard.js";
import type { ChannelPolicy } from "../domain/notification-operations.js";
import { FailedPreconditionError, InvalidArgumentError } from "../domain/errors.js";
import type { NotificationChannel } from "../domain/model.js";
import type { NotificationSettings } from "./notification-settings.js";

export function channelRules(guard: AddressGuard, settings: NotificationSettings, webhookSecrets: string[]): ChannelPolicy {
  const checkUrl = (field: string, url: string) => {
    try {
      guard.checkUrl(url);
    } catch (e) {
      if (e instanceof RefusedAddressError) throw new InvalidArgumentError(`${field}: ${e.message}`);
      throw e;
    }
  };
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

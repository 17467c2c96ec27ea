// The callbacks module's answer to the domain's CallbackPolicy: a URL the guard would refuse, or
// no secret to sign with, is refused when the task is created, not a day of failed retries later.
import type { CallbackPolicy } from "../domain/callback-policy.js";
import { FailedPreconditionError } from "../domain/errors.js";
import type { Callback } from "../domain/model.js";
import { checkRequestUrl, type AddressGuard } from "./address-guard.js";
import { signingSecrets, type CallbackSettings } from "./callback-settings.js";

export function callbackRules(guard: AddressGuard, settings: CallbackSettings): CallbackPolicy {
  return {
    retryWindowMs: settings.maxAgeMs,
    check(callback: Callback, namespace: string) {
      checkRequestUrl(guard, "callback.url", callback.url);
      if (signingSecrets(settings, namespace, callback.secrets).length === 0) {
        throw new FailedPreconditionError(
          `callback.secrets: neither namespace ${namespace} nor this server has a callback signing secret; give the task its own (whsec_…), or configure TASKPLANE_CALLBACK_NAMESPACE_SECRETS or TASKPLANE_CALLBACK_SECRETS`,
        );
      }
    },
  };
}

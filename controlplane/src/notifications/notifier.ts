// The notification loop every replica runs: claim rules whose group window has passed and that
// caught events, send one message for all of them, mark them sent. A failed send leaves the
// events for the rule's next window, so a broken channel is retried at the rule's own pace.
import type { Logger } from "pino";
import type { Clock } from "../domain/clock.js";
import type { Store } from "../store/store.js";
import type { Metrics } from "../telemetry/metrics.js";
import { SEND_TIMEOUT_MS, type NotificationChannels } from "./notification-channels.js";
import { notificationMessage } from "./notification-message.js";
import type { NotificationSettings } from "./notification-settings.js";

const RULES_PER_CLAIM = 20;
/** Longer than any send may take (each channel gives up within SEND_TIMEOUT_MS). */
const SEND_LEASE_MS = 3 * SEND_TIMEOUT_MS;

export class Notifier {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly deps: { store: Store; clock: Clock; channels: NotificationChannels; logger: Logger; metrics: Metrics },
    private readonly settings: NotificationSettings & { publicUrl: string },
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.deps.channels.close();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const due = await this.deps.store
        .claimDueNotifications(this.deps.clock.now(), RULES_PER_CLAIM, this.settings.eventsPerMessage, SEND_LEASE_MS)
        .catch((err) => (this.deps.logger.warn({ err }, "claiming notifications failed"), []));
      await Promise.all(due.map((d) => this.send(d)));
      if (due.length < RULES_PER_CLAIM) await this.sleep();
    }
  }

  private async send(due: Awaited<ReturnType<Store["claimDueNotifications"]>>[number]): Promise<void> {
    const channel = due.rule.channel.kind;
    let error: string | undefined;
    try {
      await this.deps.channels.send(due.rule.channel, notificationMessage(due, this.settings.publicUrl));
    } catch (e) {
      error = (e as Error).message;
      this.deps.logger.warn({ ruleId: due.rule.id, channel, err: e }, "sending a notification failed; its events wait for the next window");
    }
    this.deps.metrics.notifications.inc({ channel, outcome: error ? "failed" : "sent" });
    await this.deps.store
      .finishNotification(due.rule.id, due.eventIds, error, this.deps.clock.now())
      .catch((err) => this.deps.logger.warn({ err, ruleId: due.rule.id }, "recording a notification failed"));
  }

  private sleep() {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.settings.pollIntervalMs);
      this.wake = () => (clearTimeout(timer), resolve());
    });
  }
}

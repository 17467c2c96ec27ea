// Sending a message on a rule's channel: Slack incoming webhooks and generic webhooks over the
// SSRF-guarded callback POST, email over SMTP with nodemailer.
import nodemailer, { type Transporter } from "nodemailer";
import type { NotificationChannel } from "../domain/model.js";
import type { AddressGuard } from "../callbacks/address-guard.js";
import { postWebhook } from "../callbacks/webhook-post.js";
import { signatureHeaders } from "../callbacks/webhook-signature.js";
import type { NotificationMessage } from "./notification-message.js";
import type { NotificationSettings } from "./notification-settings.js";

/** Each channel gives up on a send within this long (SMTP: per stage, connect, greeting and each command). */
export const SEND_TIMEOUT_MS = 10_000;

export class NotificationChannels {
  private readonly mailer?: Transporter;

  constructor(
    private readonly guard: AddressGuard,
    private readonly settings: NotificationSettings,
    /** Signing secrets for the webhook channel (the callbacks' server secrets). */
    private readonly secrets: string[],
  ) {
    if (settings.smtpUrl) {
      const timeouts = { connectionTimeout: SEND_TIMEOUT_MS, greetingTimeout: SEND_TIMEOUT_MS, socketTimeout: SEND_TIMEOUT_MS };
      this.mailer = nodemailer.createTransport({ url: settings.smtpUrl, ...timeouts } as Parameters<typeof nodemailer.createTransport>[0]);
    }
  }

  /** Sends; rejects with why it could not. */
  async send(channel: NotificationChannel, message: NotificationMessage): Promise<void> {
    switch (channel.kind) {
      case "slack":
        return this.post(channel.webhookUrl, JSON.stringify({ text: message.text }), {});
      case "webhook": {
        const body = JSON.stringify(message.json);
        return this.post(channel.url, body, signatureHeaders(message.id, body, this.secrets, new Date()));
      }
      case "email":
        if (!this.mailer) throw new Error("no SMTP relay is configured (TASKPLANE_SMTP_URL)");
        await this.mailer.sendMail({ from: this.settings.emailFrom, to: channel.to, subject: message.subject, text: message.text });
    }
  }

  close(): void {
    this.mailer?.close();
  }

  private async post(url: string, body: string, headers: Record<string, string>): Promise<void> {
    const target = this.guard.checkUrl(url);
    const result = await postWebhook(target, await this.guard.resolve(target, SEND_TIMEOUT_MS), headers, body, SEND_TIMEOUT_MS);
    if (result.statusCode < 200 || result.statusCode >= 300) throw new Error(result.error ?? `HTTP ${result.statusCode}`);
  }
}

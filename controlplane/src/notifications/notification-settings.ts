// Where notifications go out from: the SMTP relay for email, and the links they carry.

export interface NotificationSettings {
  /** smtp://user:pass@host:port or smtps://…; unset: email rules are refused (TASKPLANE_SMTP_URL). */
  smtpUrl?: string;
  /** The From address of notification email (TASKPLANE_EMAIL_FROM). */
  emailFrom: string;
  /** Where people reach this Taskplane, for links to runs (TASKPLANE_PUBLIC_URL) [http://host:port]. */
  publicUrl?: string;
  /** How often each replica looks for rules with something to send. */
  pollIntervalMs: number;
  /** Events listed in one message; the rest are counted. */
  eventsPerMessage: number;
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = {
  emailFrom: "Taskplane <taskplane@localhost>",
  pollIntervalMs: 1_000,
  eventsPerMessage: 10,
};

// The quickstart's task types; the worker and the end-to-end test share them.
import { NonRetryableError, type Handler } from "@taskplane/sdk";

export const handlers: Record<string, Handler> = {
  /** Greets whoever the payload names. */
  "hello.greet": async (payload, ctx) => {
    const { name } = payload as { name: string };
    ctx.log(`greeting ${name}, attempt ${ctx.attempt}`);
    return { greeting: `Hello, ${name}!`, scheduledTime: ctx.scheduledTime.toISOString() };
  },
  /** Counts ticks of a recurring schedule. */
  "clock.tick": async (_payload, ctx) => ({ tickedAt: new Date().toISOString(), scheduledTime: ctx.scheduledTime.toISOString() }),
  /** Fails its first attempt, so the retry shows up in the run's history. */
  "flaky.once": async (_payload, ctx) => {
    if (ctx.attempt === 1) throw new Error("the first attempt always fails");
    return { succeededOnAttempt: ctx.attempt };
  },
  /** Refuses bad input without retrying. */
  "strict.validate": async (payload) => {
    if (!(payload as { ok?: boolean })?.ok) throw new NonRetryableError("payload.ok must be true", "ValidationError");
    return { valid: true };
  },
};

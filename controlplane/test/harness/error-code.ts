import { ConnectError, type Code } from "@taskplane/sdk";

/** The Connect code a call fails with, or undefined when it succeeds. */
export async function codeOf(call: Promise<unknown>): Promise<Code | undefined> {
  try {
    await call;
    return undefined;
  } catch (e) {
    return ConnectError.from(e).code;
  }
}

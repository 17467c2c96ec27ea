// A payload from --payload, --payload-file or stdin (--payload-file -), typed JSON when it parses.
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { PayloadData } from "@taskplane/sdk";
import { UsageError } from "./exit-codes.js";

export interface PayloadFlags {
  payload?: string;
  payloadFile?: string;
  contentType?: string;
}

export function addPayloadOptions(cmd: Command): Command {
  return cmd
    .option("--payload <text>", "the payload, e.g. '{\"to\":\"ada@example.com\"}'")
    .option("--payload-file <file>", "read the payload from a file, or from stdin with -")
    .option("--content-type <type>", "the payload's content type [application/json when it parses as JSON, else application/octet-stream]");
}

/** The payload the flags give, or undefined when they give none. */
export async function payloadFromFlags(flags: PayloadFlags): Promise<PayloadData | undefined> {
  if (flags.payload !== undefined && flags.payloadFile !== undefined) throw new UsageError("give --payload or --payload-file, not both");
  let data: Uint8Array;
  if (flags.payload !== undefined) data = new TextEncoder().encode(flags.payload);
  else if (flags.payloadFile === "-") data = await readStdin();
  else if (flags.payloadFile !== undefined) data = await readFile(flags.payloadFile).catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`--payload-file: cannot read ${flags.payloadFile}: ${e.code ?? e.message}`);
  });
  else {
    if (flags.contentType !== undefined) throw new UsageError("--content-type goes with --payload or --payload-file");
    return undefined;
  }
  return { data, contentType: flags.contentType ?? (isJson(data) ? "application/json" : "application/octet-stream") };
}

export async function readStdin(): Promise<Uint8Array> {
  if (process.stdin.isTTY) throw new UsageError("reading from stdin (-), but stdin is a terminal: pipe the input in");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function isJson(data: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
    return true;
  } catch {
    return false;
  }
}

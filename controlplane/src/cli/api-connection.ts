// How an API command reaches the control plane: server, token, namespace and TLS from flags or the
// environment, and the SDK's clients over one gRPC transport (the same tokens and roles as any client).
import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import { TaskplaneClient, type ConnectionOptions } from "@taskplane/sdk";
import { EXIT_CODES_HELP, UsageError } from "./exit-codes.js";
import { addOutputOption, outputFormat, type OutputFormat } from "./output.js";

export const DEFAULT_SERVER = "http://127.0.0.1:7070";

export interface ConnectionFlags {
  server: string;
  token?: string;
  namespace?: string;
  ca?: string;
  cert?: string;
  key?: string;
  output?: string;
}

export interface Api {
  /** The SDK's client: TaskService, AuditService and ClusterService over one transport. */
  readonly client: TaskplaneClient;
  /** The --namespace given, if any: where creates go and what lists are limited to. */
  readonly namespace: string | undefined;
  readonly output: OutputFormat;
}

/** A subcommand that calls the API; apiAction gives it the connection and output flags. */
export function apiCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return parent.command(nameAndArgs).description(description);
}

function addConnectionOptions(cmd: Command): Command {
  const options = [
    new Option("--server <url>", "the control plane's URL, http:// or https://; comma-separate replicas to fail over").env("TASKPLANE_SERVER").default(process.env.TASKPLANE_ADDRESS ?? DEFAULT_SERVER),
    new Option("--token <token>", "bearer token for the API").env("TASKPLANE_TOKEN"),
    new Option("--namespace <name>", "the namespace to create in and list from [every one the token names]").env("TASKPLANE_NAMESPACE"),
    new Option("--ca <file>", "PEM file of the CA that signed an https server's certificate").env("TASKPLANE_TLS_CA"),
    new Option("--cert <file>", "PEM client certificate, when the server asks for one (mutual TLS)").env("TASKPLANE_TLS_CLIENT_CERT"),
    new Option("--key <file>", "PEM key of --cert").env("TASKPLANE_TLS_CLIENT_KEY"),
  ];
  for (const option of options) cmd.addOption(option.helpGroup("Connection:"));
  return cmd;
}

/** The clients for a command's flags; nothing connects until the first call. */
export function connect(flags: ConnectionFlags): Api {
  const options = connectionOptions(flags);
  let client: TaskplaneClient | undefined;
  return {
    get client() {
      return (client ??= new TaskplaneClient(options));
    },
    namespace: flags.namespace || undefined,
    output: outputFormat(flags.output),
  };
}

export function connectionOptions(flags: ConnectionFlags): ConnectionOptions {
  const address = flags.server.split(",").map((s) => s.trim()).filter(Boolean).map(withScheme);
  if (!address.length) throw new UsageError("--server: give a URL such as http://127.0.0.1:7070");
  const https = address.some((a) => a.startsWith("https://"));
  if ((flags.ca || flags.cert || flags.key) && !https) throw new UsageError("--ca, --cert and --key go with an https:// server");
  if (!!flags.cert !== !!flags.key) throw new UsageError("--cert and --key go together");
  return {
    address,
    // Unset means none at all: the SDK must not fall back to TASKPLANE_TOKEN behind --token's back.
    token: flags.token ?? "",
    retry: { maxAttempts: 3, initialBackoffMs: 200, maxBackoffMs: 2_000 },
    tls: https ? { ca: readPem("--ca", flags.ca), cert: readPem("--cert", flags.cert), key: readPem("--key", flags.key) } : undefined,
  };
}

function withScheme(address: string): string {
  if (/^https?:\/\//.test(address)) return address;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) throw new UsageError(`--server: "${address}" must be an http:// or https:// URL`);
  return `http://${address}`;
}

function readPem(flag: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Runs an API command with its clients, its flags and its positional arguments. Errors go up to
 * cli.ts, which prints one line and exits with the code from exit-codes.ts.
 */
export function apiAction<F extends object>(cmd: Command, run: (api: Api, flags: F, args: string[]) => Promise<void>): Command {
  return addConnectionOptions(addOutputOption(cmd))
    .addHelpText("after", EXIT_CODES_HELP)
    .action(async (...received: unknown[]) => {
    const command = received.at(-1) as Command;
    const flags = command.opts<F & ConnectionFlags>();
    await run(connect(flags), flags, command.processedArgs as string[]);
  });
}

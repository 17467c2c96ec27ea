// Printing results: aligned columns or key/value lines for people, the proto JSON mapping for
// scripts (one document per command; a list is an array).
import Table from "cli-table3";
import { Option, type Command } from "commander";
import { toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { UsageError } from "./exit-codes.js";

export type OutputFormat = "table" | "json";

export function addOutputOption(cmd: Command): Command {
  return cmd.addOption(new Option("-o, --output <format>", "table for people, json for scripts").choices(["table", "json"]).default("table"));
}

export function outputFormat(text: string | undefined): OutputFormat {
  if (text === undefined || text === "table" || text === "json") return text ?? "table";
  throw new UsageError(`--output: "${text}" is not table or json`);
}

/** How one kind of message is shown: its schema for JSON, its columns in a list, its fields alone. */
export interface View<Desc extends DescMessage> {
  schema: Desc;
  columns: Array<[header: string, cell: (m: MessageShape<Desc>) => string]>;
  /** For a single message; defaults to the columns. */
  fields?: Array<[label: string, value: (m: MessageShape<Desc>) => string]>;
}

export function printList<Desc extends DescMessage>(output: OutputFormat, view: View<Desc>, items: MessageShape<Desc>[]): void {
  if (output === "json") return printJson(items.map((m) => toJson(view.schema, m)));
  printTable(view.columns.map(([h]) => h), items.map((m) => view.columns.map(([, cell]) => cell(m))));
}

export function printOne<Desc extends DescMessage>(output: OutputFormat, view: View<Desc>, item: MessageShape<Desc>): void {
  if (output === "json") return printJson(toJson(view.schema, item));
  printFields(fieldsOf(view, item));
}

/** The label and value lines of one message, for a command that adds lines of its own. */
export function fieldsOf<Desc extends DescMessage>(view: View<Desc>, item: MessageShape<Desc>): Array<[string, string]> {
  return (view.fields ?? view.columns).map(([label, value]) => [label, value(item)]);
}

/** A response message as JSON, or a sentence for people. */
export function printMessage<Desc extends DescMessage>(output: OutputFormat, schema: Desc, message: MessageShape<Desc>, sentence: string): void {
  if (output === "json") printJson(toJson(schema, message));
  else console.log(sentence);
}

export function printJson(value: JsonValue): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}

/** Columns separated by two spaces, headers in capitals, no borders: easy to read and to cut. */
export function printTable(headers: string[], rows: string[][]): void {
  if (!rows.length) {
    process.stderr.write("(none)\n");
    return;
  }
  const table = new Table({
    head: headers.map((h) => h.toUpperCase()),
    chars: { top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "", left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  " },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  table.push(...rows);
  process.stdout.write(table.toString().replace(/[ \t]+$/gm, "") + "\n");
}

export function printFields(fields: Array<[string, string]>): void {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  // A value that starts on its own line (a list of attempts, of fires) leaves no trailing blanks.
  for (const [label, value] of fields) console.log(`${`${label}:`.padEnd(width)} ${value}`.replace(/[ \t]+$/gm, ""));
}

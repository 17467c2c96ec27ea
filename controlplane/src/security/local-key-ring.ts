// `taskplane dev` encrypts at rest with a key kept in its data dir, made on first start, so the
// quick start stores payloads the way production does.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { KEY_BYTES, parseKeyRing, type KeyRing } from "./key-ring.js";

/** A new key-ring entry, "id:base64key", for TASKPLANE_ENCRYPTION_KEYS. */
export const newKeyEntry = (id: string) => `${id}:${randomBytes(KEY_BYTES).toString("base64")}`;

export async function loadLocalKeyRing(dataDir: string): Promise<KeyRing> {
  const file = join(dataDir, "encryption-keys");
  let text = (await readFile(file, "utf8").catch(() => "")).trim();
  if (!text) {
    text = newKeyEntry(`dev-${new Date().toISOString().slice(0, 10)}`);
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, text + "\n", { mode: 0o600 });
  }
  return parseKeyRing(text);
}

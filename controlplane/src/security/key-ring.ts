// The key-encryption keys (KEKs) that wrap per-task data keys. Several are configured at once so
// keys can rotate: new data keys are wrapped under the newest, older ones stay to unwrap old data
// until `taskplane keys rotate` has re-wrapped everything under the newest.
//
// Messages here never echo key material: an entry that fails to parse may be a secret.

/** A key-encryption key: AES-256, so exactly 32 bytes. */
export interface KeyEncryptionKey {
  readonly id: string;
  readonly key: Buffer;
}

export const KEY_BYTES = 32;

// The id is written into every wrapped data key with a one-byte length, and the text form
// separates entries with "," and id from key with ":", so ids stay short and plain.
const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const GENERATE_HINT = "generate one with: openssl rand -base64 32";

/** The key configuration is unusable; the message names the entry and what to fix. */
export class KeyRingError extends Error {
  readonly code = "key_ring_invalid";
  constructor(message: string) {
    super(message);
    this.name = "KeyRingError";
  }
}

/** A key id that is not in the ring, e.g. one removed after rotation that old data still needs. */
export class UnknownKeyError extends Error {
  readonly code = "key_unknown";
  constructor(
    readonly keyId: string,
    readonly configuredIds: readonly string[],
  ) {
    super(`key-encryption key "${keyId}" is not configured (configured: ${configuredIds.join(", ")})`);
    this.name = "UnknownKeyError";
  }
}

export class KeyRing {
  readonly #keys: readonly KeyEncryptionKey[];
  readonly #byId = new Map<string, KeyEncryptionKey>();

  /** `keys`: newest first; the first one wraps every new data key. */
  constructor(keys: readonly KeyEncryptionKey[]) {
    if (keys.length === 0) throw new KeyRingError(`no key-encryption keys configured; ${GENERATE_HINT}`);
    // Copies, so a caller zeroing or reusing its buffers cannot change the ring.
    this.#keys = keys.map(({ id, key }) => Object.freeze({ id, key: Buffer.from(key) }));
    for (const kek of this.#keys) {
      checkId(kek.id);
      if (kek.key.length !== KEY_BYTES) throw new KeyRingError(`key "${kek.id}" is ${kek.key.length} bytes; a key-encryption key must be ${KEY_BYTES} bytes (${GENERATE_HINT})`);
      if (this.#byId.has(kek.id)) throw new KeyRingError(`key id "${kek.id}" appears more than once; each key needs its own id`);
      this.#byId.set(kek.id, kek);
    }
  }

  /** The newest key: it wraps every new data key. */
  get current(): KeyEncryptionKey {
    return this.#keys[0]!;
  }

  /** Ids newest first, for diagnostics; never the keys themselves. */
  get ids(): string[] {
    return this.#keys.map((k) => k.id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** The key with this id, or an UnknownKeyError naming it and the ids that are configured. */
  get(id: string): KeyEncryptionKey {
    const kek = this.#byId.get(id);
    if (!kek) throw new UnknownKeyError(id, this.ids);
    return kek;
  }

  // Keeps keys out of logs that serialise or inspect the ring.
  toJSON(): { ids: string[] } {
    return { ids: this.ids };
  }
}

/**
 * Parses the env-var form, newest first: `"k2:BASE64KEY,k1:BASE64KEY"`.
 * @example parseKeyRing(process.env.TASKPLANE_ENCRYPTION_KEYS ?? "")
 */
export function parseKeyRing(text: string): KeyRing {
  const entries = text.split(",").map((e) => e.trim());
  if (entries.length === 1 && entries[0] === "") throw new KeyRingError(`no key-encryption keys configured; write "id:base64key,…" newest first (${GENERATE_HINT})`);
  return new KeyRing(entries.map((entry, i) => parseEntry(entry, i + 1)));
}

function parseEntry(entry: string, position: number): KeyEncryptionKey {
  if (entry === "") throw new KeyRingError(`key entry ${position} is empty; entries are "id:base64key" separated by ","`);
  const colon = entry.indexOf(":");
  if (colon < 0) throw new KeyRingError(`key entry ${position} has no ":"; write it as "id:base64key"`);
  const id = entry.slice(0, colon).trim();
  checkId(id, position);
  const encoded = entry.slice(colon + 1).trim();
  // Buffer.from(…, "base64") silently skips bad characters, so check the alphabet first.
  if (!BASE64.test(encoded)) throw new KeyRingError(`key "${id}" is not base64; ${GENERATE_HINT}`);
  const key = Buffer.from(encoded, "base64");
  if (key.length !== KEY_BYTES) throw new KeyRingError(`key "${id}" is ${key.length} bytes after base64 decoding; a key-encryption key must be ${KEY_BYTES} bytes (${GENERATE_HINT})`);
  return { id, key };
}

function checkId(id: string, position?: number): void {
  if (KEY_ID.test(id)) return;
  // Describe the id rather than echo it: a swapped "key:id" entry would put the key here.
  const where = position === undefined ? "a key id" : `the key id in entry ${position}`;
  throw new KeyRingError(`${where} is not valid (${idProblem(id)}); use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
}

function idProblem(id: string): string {
  if (id === "") return "it is empty";
  if (id.length > 64) return `it is ${id.length} characters`;
  const bad = [...id].find((c, i) => !/[A-Za-z0-9]/.test(c) && (i === 0 || !/[._-]/.test(c)));
  return `it contains ${JSON.stringify(bad)}${bad !== undefined && /[._-]/.test(bad) ? " at the start" : ""}`;
}

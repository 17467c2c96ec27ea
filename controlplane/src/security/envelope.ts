// Envelope encryption for task data at rest (payloads, outputs, error details, logs).
//
// Each task gets a random 32-byte data key. The data key seals the task's fields; a
// key-encryption key (KEK) from the KeyRing wraps the data key, and only the wrapped form is
// stored. Rotation re-wraps data keys (32 bytes each) instead of re-encrypting every payload.
// Both layers are AES-256-GCM with a random 12-byte IV per encryption.
//
// Every encryption binds an AAD string naming where the ciphertext belongs,
// `taskplane/v1/<namespace>/<taskId>/<field>` (components URI-encoded so "/" cannot shift them),
// so a ciphertext copied to another task, namespace or field fails to open.
//
// Wrapped data key, version 1 (62 bytes + id):
//   [0]          version = 0x01
//   [1]          n = byte length of the KEK id (1..64)
//   [2, 2+n)     KEK id, UTF-8
//   next 12      IV
//   next 16      GCM tag
//   next 32      the encrypted data key
//
// Sealed value, version 1 (29 bytes + plaintext length):
//   [0]          version = 0x01
//   [1, 13)      IV
//   [13, 29)     GCM tag
//   [29, …)      ciphertext
//
// The GCM additional data is the header before the IV (version, and for a wrapped key the id)
// followed by the UTF-8 AAD string, so the header is authenticated along with the context.
// Any failure to open — tampering, truncation, wrong AAD, unknown version or KEK — throws
// DecryptionError; nothing is ever returned unauthenticated.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { KEY_BYTES, UnknownKeyError, type KeyRing } from "./key-ring.js";

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CIPHER = "aes-256-gcm";

/** The task fields stored encrypted; "event" is a callback event's body as first sent. */
export type PayloadField = "payload" | "output" | "error" | "log" | "event";

/** Opening failed: the data was altered, belongs elsewhere, or its key is not configured. */
export class DecryptionError extends Error {
  readonly code = "decryption_failed";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DecryptionError";
  }
}

/** The AAD for one encrypted field of one task. */
export function payloadAad(namespace: string, taskId: string, field: PayloadField): string {
  return aadFor(namespace, taskId, field);
}

/** The AAD for a task's wrapped data key; a separate field so a data key never opens as a payload. */
export function dataKeyAad(namespace: string, taskId: string): string {
  return aadFor(namespace, taskId, "data-key");
}

function aadFor(namespace: string, taskId: string, field: string): string {
  return ["taskplane", "v1", namespace, taskId, field].map(encodeURIComponent).join("/");
}

/** A fresh data key for one task, and its wrapped form under the ring's newest KEK to store. */
export function newDataKey(ring: KeyRing, aad: string): { plaintextKey: Buffer; wrapped: Buffer } {
  const plaintextKey = randomBytes(KEY_BYTES);
  return { plaintextKey, wrapped: wrapUnder(ring, plaintextKey, aad) };
}

/** The data key inside `wrapped`, unwrapped with whichever configured KEK wrapped it. */
export function unwrapDataKey(ring: KeyRing, wrapped: Uint8Array, aad: string): Buffer {
  const { keyId, header, iv, tag, body } = parseWrapped(wrapped);
  let kek: Buffer;
  try {
    kek = ring.get(keyId).key;
  } catch (e) {
    if (!(e instanceof UnknownKeyError)) throw e;
    throw new DecryptionError(
      `the key ${keyId} that wrapped this data key is not configured (configured: ${e.configuredIds.join(", ")}); add it back to the key ring, or run \`taskplane keys rotate\` before removing a key`,
      { cause: e },
    );
  }
  const key = decrypt(kek, iv, tag, body, header, aad, `data key (wrapped by ${keyId})`);
  if (key.length !== KEY_BYTES) throw new DecryptionError(`the unwrapped data key is ${key.length} bytes, expected ${KEY_BYTES}`);
  return key;
}

/**
 * `wrapped` re-wrapped under the ring's newest KEK, for `taskplane keys rotate`. When it is already
 * under the newest KEK the same bytes come back with `rewrapped: false`, after checking they open.
 */
export function rewrapDataKey(ring: KeyRing, wrapped: Uint8Array, aad: string): { wrapped: Buffer; rewrapped: boolean } {
  const dataKey = unwrapDataKey(ring, wrapped, aad);
  try {
    if (parseWrapped(wrapped).keyId === ring.current.id) return { wrapped: Buffer.from(wrapped), rewrapped: false };
    return { wrapped: wrapUnder(ring, dataKey, aad), rewrapped: true };
  } finally {
    dataKey.fill(0);
  }
}

/** Encrypts one field's plaintext with a task's data key. */
export function sealWith(dataKey: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  if (dataKey.length !== KEY_BYTES) throw new RangeError(`a data key must be ${KEY_BYTES} bytes, got ${dataKey.length}`);
  const header = Buffer.from([VERSION]);
  const { iv, tag, body } = encrypt(dataKey, plaintext, header, aad);
  return Buffer.concat([header, iv, tag, body]);
}

/** Decrypts a value from sealWith; throws DecryptionError unless it is intact and `aad` matches. */
export function openWith(dataKey: Uint8Array, sealed: Uint8Array, aad: string): Buffer {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const minimum = 1 + IV_BYTES + TAG_BYTES;
  if (bytes.length < minimum) throw new DecryptionError(`sealed value is ${bytes.length} bytes, shorter than the ${minimum}-byte minimum; it was truncated or is not a sealed value`);
  checkVersion(bytes[0]!, "sealed value");
  const header = bytes.subarray(0, 1);
  const iv = bytes.subarray(1, 1 + IV_BYTES);
  const tag = bytes.subarray(1 + IV_BYTES, minimum);
  return decrypt(dataKey, iv, tag, bytes.subarray(minimum), header, aad, "sealed value");
}

function wrapUnder(ring: KeyRing, dataKey: Buffer, aad: string): Buffer {
  const { id, key } = ring.current;
  const idBytes = Buffer.from(id, "utf8");
  const header = Buffer.concat([Buffer.from([VERSION, idBytes.length]), idBytes]);
  const { iv, tag, body } = encrypt(key, dataKey, header, aad);
  return Buffer.concat([header, iv, tag, body]);
}

function parseWrapped(wrapped: Uint8Array): { keyId: string; header: Buffer; iv: Buffer; tag: Buffer; body: Buffer } {
  const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
  if (bytes.length < 2) throw new DecryptionError(`wrapped data key is ${bytes.length} bytes; it was truncated or is not a wrapped key`);
  checkVersion(bytes[0]!, "wrapped data key");
  const idEnd = 2 + bytes[1]!;
  const expected = idEnd + IV_BYTES + TAG_BYTES + KEY_BYTES;
  if (bytes.length !== expected) throw new DecryptionError(`wrapped data key is ${bytes.length} bytes, expected ${expected}; it was truncated or altered`);
  return {
    keyId: bytes.subarray(2, idEnd).toString("utf8"),
    header: bytes.subarray(0, idEnd),
    iv: bytes.subarray(idEnd, idEnd + IV_BYTES),
    tag: bytes.subarray(idEnd + IV_BYTES, idEnd + IV_BYTES + TAG_BYTES),
    body: bytes.subarray(idEnd + IV_BYTES + TAG_BYTES),
  };
}

function checkVersion(version: number, what: string): void {
  if (version !== VERSION) throw new DecryptionError(`${what} has format version ${version}; this build reads version ${VERSION} (was it written by a newer Taskplane, or altered?)`);
}

function encrypt(key: Uint8Array, plaintext: Uint8Array, header: Buffer, aad: string): { iv: Buffer; tag: Buffer; body: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.concat([header, Buffer.from(aad, "utf8")]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), body };
}

function decrypt(key: Uint8Array, iv: Buffer, tag: Buffer, body: Buffer, header: Buffer, aad: string, what: string): Buffer {
  try {
    const decipher = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([header, Buffer.from(aad, "utf8")]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (e) {
    // GCM cannot tell tampering from a wrong key or AAD; name all three for whoever debugs it.
    throw new DecryptionError(`${what} failed authentication: it was altered, its AAD does not match (expected ${JSON.stringify(aad)}), or the key is wrong`, { cause: e });
  }
}

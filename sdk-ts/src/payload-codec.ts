// End-to-end payload encryption, as Temporal's data converters do it: the SDK encodes payloads
// before they leave the process and decodes them when they come back, so the control plane (and
// its database) only ever holds ciphertext. Give the same codec to clients and workers.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Interceptor } from "@connectrpc/connect";
import type { PayloadData } from "./payload.js";

/** Turns payloads into what is sent and stored, and back. */
export interface PayloadCodec {
  encode(payload: PayloadData): Promise<PayloadData> | PayloadData;
  decode(payload: PayloadData): Promise<PayloadData> | PayloadData;
}

/** The content type of a payload sealed by aesGcmCodec; the original type travels inside. */
export const ENCRYPTED_CONTENT_TYPE = "application/vnd.taskplane.encrypted.v1";

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM with keys named by id: the first key encrypts, any of them decrypts, so keys can
 * rotate. Payloads that are not sealed (or are empty) pass through unchanged.
 * @example
 * const codec = aesGcmCodec([{ id: "k1", key: Buffer.from(process.env.PAYLOAD_KEY!, "base64") }]);
 * const client = new TaskplaneClient({ address, codec });
 * const worker = Worker.create({ address, codec, handlers });
 */
export function aesGcmCodec(keys: { id: string; key: Uint8Array }[]): PayloadCodec {
  if (keys.length === 0) throw new Error("aesGcmCodec: give at least one key");
  for (const k of keys) if (k.key.length !== 32 || !/^[\w.-]{1,64}$/.test(k.id)) throw new Error(`aesGcmCodec: key "${k.id}" needs a 1-64 character id and 32 bytes`);
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  return {
    encode(payload) {
      const { id, key } = keys[0]!;
      const header = Buffer.concat([Buffer.from([VERSION, id.length]), Buffer.from(id)]);
      const type = Buffer.from(payload.contentType);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(header);
      const body = Buffer.concat([cipher.update(Buffer.from([type.length >> 8, type.length & 255])), cipher.update(type), cipher.update(payload.data), cipher.final()]);
      return { contentType: ENCRYPTED_CONTENT_TYPE, data: Buffer.concat([header, iv, cipher.getAuthTag(), body]) };
    },
    decode(payload) {
      if (payload.contentType !== ENCRYPTED_CONTENT_TYPE || payload.data.length === 0) return payload;
      const bytes = Buffer.from(payload.data);
      if (bytes[0] !== VERSION) throw new Error(`payload codec: unknown format version ${bytes[0]}`);
      const idEnd = 2 + bytes[1]!;
      const id = bytes.subarray(2, idEnd).toString();
      const key = byId.get(id);
      if (!key) throw new Error(`payload codec: the payload was encrypted with key "${id}", which this codec does not have`);
      const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(idEnd, idEnd + IV_BYTES)).setAAD(bytes.subarray(0, idEnd));
      decipher.setAuthTag(bytes.subarray(idEnd + IV_BYTES, idEnd + IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(bytes.subarray(idEnd + IV_BYTES + TAG_BYTES)), decipher.final()]);
      const typeEnd = 2 + ((plain[0]! << 8) | plain[1]!);
      return { contentType: plain.subarray(2, typeEnd).toString(), data: new Uint8Array(plain.subarray(typeEnd)) };
    },
  };
}

/**
 * Encodes every Payload in a request and decodes every Payload in a response, but for polled
 * assignments: the worker decodes each itself, so one that will not decode fails only its attempt.
 */
export function codecInterceptor(codec: PayloadCodec): Interceptor {
  return (next) => async (req) => {
    if (!req.stream) await transformPayloads(req.message, (p) => codec.encode(p));
    const res = await next(req);
    if (!res.stream && res.message.$typeName !== "taskplane.v1.PollTasksResponse") await transformPayloads(res.message, (p) => codec.decode(p));
    return res;
  };
}

async function transformPayloads(message: unknown, transform: (p: PayloadData) => Promise<PayloadData> | PayloadData): Promise<void> {
  const found: Record<string, unknown>[] = [];
  collectPayloads(message, found);
  await Promise.all(
    found.map(async (p) => {
      const { data, contentType } = await transform(p as unknown as PayloadData);
      Object.assign(p, { data, contentType });
    }),
  );
}

function collectPayloads(value: unknown, found: Record<string, unknown>[]): void {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return;
  if (Array.isArray(value)) return value.forEach((v) => collectPayloads(v, found));
  const message = value as Record<string, unknown>;
  if (message.$typeName === "taskplane.v1.Payload") found.push(message);
  else Object.values(message).forEach((v) => collectPayloads(v, found));
}

// Payloads are bytes with a content type; these helpers carry JSON, the common case.

export interface PayloadData {
  data: Uint8Array;
  contentType: string;
}

export const JSON_CONTENT_TYPE = "application/json";

/** A JSON payload: `json({ to: "ada@example.com" })`. */
export function json(value: unknown): PayloadData {
  return { data: new TextEncoder().encode(JSON.stringify(value)), contentType: JSON_CONTENT_TYPE };
}

/** Decodes a payload: JSON when it says so (or is empty of type), else the raw bytes. */
export function decodePayload(payload: PayloadData | undefined): unknown {
  if (!payload || payload.data.length === 0) return undefined;
  if (payload.contentType === JSON_CONTENT_TYPE || payload.contentType === "") {
    const text = new TextDecoder().decode(payload.data);
    try {
      return JSON.parse(text);
    } catch {
      return payload.contentType === "" ? payload.data : text;
    }
  }
  return payload.data;
}

/** Encodes a handler's return value: bytes as they are, undefined as nothing, anything else as JSON. */
export function encodeResult(value: unknown): PayloadData | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Uint8Array) return { data: value, contentType: "application/octet-stream" };
  return json(value);
}

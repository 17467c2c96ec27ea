import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { KeyRing, KeyRingError, parseKeyRing, UnknownKeyError } from "./key-ring.js";

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const b64 = (key: Buffer) => key.toString("base64");

describe("parseKeyRing", () => {
  it("reads keys newest first, tolerating spaces", () => {
    const ring = parseKeyRing(` k2:${b64(k2)} , k1:${b64(k1)} `);
    expect(ring.ids).toEqual(["k2", "k1"]);
    expect(ring.current.id).toBe("k2");
    expect(ring.current.key.equals(k2)).toBe(true);
    expect(ring.get("k1").key.equals(k1)).toBe(true);
  });

  it.each([
    ["", /no key-encryption keys configured/],
    [`k2:${b64(k2)},`, /entry 2 is empty/],
    [b64(k1), /entry 1 has no ":"/],
    [`:${b64(k1)}`, /key id in entry 1 is not valid \(it is empty\)/],
    [`key one:${b64(k1)}`, /key id in entry 1 is not valid \(it contains " "\)/],
    [`-k:${b64(k1)}`, /contains "-" at the start/],
    [`${"x".repeat(65)}:${b64(k1)}`, /it is 65 characters/],
    [`k1:not*base64`, /key "k1" is not base64/],
    [`k1:${b64(randomBytes(16))}`, /key "k1" is 16 bytes after base64 decoding; a key-encryption key must be 32 bytes/],
    [`k1:${b64(k1)},k1:${b64(k2)}`, /key id "k1" appears more than once/],
  ])("rejects %j clearly", (text, message) => {
    expect(() => parseKeyRing(text)).toThrow(KeyRingError);
    expect(() => parseKeyRing(text)).toThrow(message);
  });

  it("never echoes key material in its errors", () => {
    // A swapped "key:id" entry puts the key where the id belongs.
    const key = b64(k1);
    for (const text of [`${key}:k1`, key, `k1:${key.slice(0, 20)}`]) {
      expect(() => parseKeyRing(text)).toThrow(KeyRingError);
      try {
        parseKeyRing(text);
      } catch (e) {
        expect((e as Error).message).not.toContain(key.slice(0, 12));
      }
    }
  });
});

describe("KeyRing", () => {
  it("names the missing id and the configured ones", () => {
    const ring = new KeyRing([{ id: "k2", key: k2 }]);
    expect(() => ring.get("k1")).toThrow(UnknownKeyError);
    expect(() => ring.get("k1")).toThrow('key-encryption key "k1" is not configured (configured: k2)');
  });

  it("rejects an empty ring and short keys", () => {
    expect(() => new KeyRing([])).toThrow(/no key-encryption keys configured/);
    expect(() => new KeyRing([{ id: "k1", key: randomBytes(31) }])).toThrow(/"k1" is 31 bytes/);
  });

  it("keeps its own copy of the keys and leaves them out of JSON", () => {
    const key = Buffer.from(k1);
    const ring = new KeyRing([{ id: "k1", key }]);
    key.fill(0);
    expect(ring.current.key.equals(k1)).toBe(true);
    expect(JSON.stringify(ring)).toBe('{"ids":["k1"]}');
  });
});

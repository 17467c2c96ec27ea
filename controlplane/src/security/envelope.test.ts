import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dataKeyAad, DecryptionError, newDataKey, openWith, payloadAad, rewrapDataKey, sealWith, unwrapDataKey } from "./envelope.js";
import { KeyRing } from "./key-ring.js";

const k1 = { id: "k1", key: randomBytes(32) };
const k2 = { id: "k2", key: randomBytes(32) };
const keyAad = dataKeyAad("billing", "task-1");
const aad = payloadAad("billing", "task-1", "payload");
const text = (s: string) => Buffer.from(s, "utf8");

function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

describe("sealWith / openWith", () => {
  const dataKey = randomBytes(32);

  it("round-trips, including empty and large values", () => {
    for (const plaintext of [text(""), text('{"card":"4111"}'), randomBytes(1 << 20)]) {
      expect(openWith(dataKey, sealWith(dataKey, plaintext, aad), aad).equals(plaintext)).toBe(true);
    }
  });

  it("uses a fresh IV per message", () => {
    expect(sealWith(dataKey, text("same"), aad).equals(sealWith(dataKey, text("same"), aad))).toBe(false);
  });

  it("lays out version, IV, tag, ciphertext", () => {
    const sealed = sealWith(dataKey, text("hello"), aad);
    expect(sealed[0]).toBe(1);
    expect(sealed.length).toBe(1 + 12 + 16 + 5);
  });

  it("fails loudly when any single byte of the sealed value is flipped", () => {
    const sealed = sealWith(dataKey, text("secret!"), aad);
    for (let at = 0; at < sealed.length; at++) {
      expect(() => openWith(dataKey, flipped(sealed, at), aad), `byte ${at}`).toThrow(DecryptionError);
    }
  });

  it("fails loudly when any single byte of the AAD is flipped", () => {
    const sealed = sealWith(dataKey, text("secret!"), aad);
    for (let at = 0; at < aad.length; at++) {
      const altered = aad.slice(0, at) + String.fromCharCode(aad.charCodeAt(at) ^ 0x01) + aad.slice(at + 1);
      expect(() => openWith(dataKey, sealed, altered), `AAD char ${at}`).toThrow(DecryptionError);
    }
  });

  it("fails when truncated to any length", () => {
    const sealed = sealWith(dataKey, text("secret!"), aad);
    for (let length = 0; length < sealed.length; length++) {
      expect(() => openWith(dataKey, sealed.subarray(0, length), aad), `length ${length}`).toThrow(DecryptionError);
    }
  });

  it.each([
    ["namespace", payloadAad("payments", "task-1", "payload")],
    ["task", payloadAad("billing", "task-2", "payload")],
    ["field", payloadAad("billing", "task-1", "output")],
  ])("refuses a value moved to another %s", (_, elsewhere) => {
    const sealed = sealWith(dataKey, text("secret!"), aad);
    expect(() => openWith(dataKey, sealed, elsewhere)).toThrow(DecryptionError);
    expect(() => openWith(dataKey, sealed, elsewhere)).toThrow(/failed authentication.*AAD does not match/);
  });

  it("keeps AAD components apart even when they contain /", () => {
    expect(payloadAad("a/b", "c", "log")).not.toBe(payloadAad("a", "b/c", "log"));
  });

  it("refuses the wrong data key and an unknown format version, keeping the cause", () => {
    const sealed = sealWith(dataKey, text("secret!"), aad);
    const error = (() => {
      try {
        openWith(randomBytes(32), sealed, aad);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as DecryptionError).cause).toBeInstanceOf(Error);
    const v2 = Buffer.from(sealed);
    v2[0] = 2;
    expect(() => openWith(dataKey, v2, aad)).toThrow(/format version 2; this build reads version 1/);
  });
});

describe("data keys", () => {
  it("wraps under the current KEK and unwraps to the same key", () => {
    const ring = new KeyRing([k1]);
    const { plaintextKey, wrapped } = newDataKey(ring, keyAad);
    expect(plaintextKey.length).toBe(32);
    expect(wrapped[0]).toBe(1);
    expect(wrapped[1]).toBe(2);
    expect(wrapped.subarray(2, 4).toString()).toBe("k1");
    expect(wrapped.length).toBe(62 + 2);
    expect(unwrapDataKey(ring, wrapped, keyAad).equals(plaintextKey)).toBe(true);
  });

  it("fails loudly when any single byte of the wrapped key or its AAD is flipped", () => {
    const ring = new KeyRing([k1]);
    const { wrapped } = newDataKey(ring, keyAad);
    for (let at = 0; at < wrapped.length; at++) {
      expect(() => unwrapDataKey(ring, flipped(wrapped, at), keyAad), `byte ${at}`).toThrow(DecryptionError);
    }
    for (let at = 0; at < keyAad.length; at++) {
      const altered = keyAad.slice(0, at) + String.fromCharCode(keyAad.charCodeAt(at) ^ 0x01) + keyAad.slice(at + 1);
      expect(() => unwrapDataKey(ring, wrapped, altered), `AAD char ${at}`).toThrow(DecryptionError);
    }
  });

  it("refuses a wrapped key moved to another task", () => {
    const ring = new KeyRing([k1]);
    const { wrapped } = newDataKey(ring, keyAad);
    expect(() => unwrapDataKey(ring, wrapped, dataKeyAad("billing", "task-2"))).toThrow(DecryptionError);
  });
});

describe("rotation", () => {
  // One task's data written while k1 was the newest key.
  const old = newDataKey(new KeyRing([k1]), keyAad);
  const sealed = sealWith(old.plaintextKey, text("written under k1"), aad);

  it("still reads data wrapped under k1 when k2 is added in front", () => {
    const ring = new KeyRing([k2, k1]);
    expect(openWith(unwrapDataKey(ring, old.wrapped, keyAad), sealed, aad).toString()).toBe("written under k1");
    expect(newDataKey(ring, keyAad).wrapped.subarray(2, 4).toString()).toBe("k2");
  });

  it("rewraps to k2, after which k1 can be removed", () => {
    const { wrapped, rewrapped } = rewrapDataKey(new KeyRing([k2, k1]), old.wrapped, keyAad);
    expect(rewrapped).toBe(true);
    expect(wrapped.subarray(2, 4).toString()).toBe("k2");

    const k2Only = new KeyRing([k2]);
    expect(openWith(unwrapDataKey(k2Only, wrapped, keyAad), sealed, aad).toString()).toBe("written under k1");
    expect(() => unwrapDataKey(k2Only, old.wrapped, keyAad)).toThrow(DecryptionError);
    expect(() => unwrapDataKey(k2Only, old.wrapped, keyAad)).toThrow(/the key k1 that wrapped this data key is not configured \(configured: k2\)/);
  });

  it("leaves a key already under the current KEK as it is", () => {
    const ring = new KeyRing([k2, k1]);
    const { wrapped } = newDataKey(ring, keyAad);
    const again = rewrapDataKey(ring, wrapped, keyAad);
    expect(again.rewrapped).toBe(false);
    expect(again.wrapped.equals(wrapped)).toBe(true);
  });

  it("refuses to rewrap a tampered key rather than skip it", () => {
    const ring = new KeyRing([k2, k1]);
    const { wrapped } = newDataKey(ring, keyAad);
    expect(() => rewrapDataKey(ring, flipped(wrapped, wrapped.length - 1), keyAad)).toThrow(DecryptionError);
  });
});

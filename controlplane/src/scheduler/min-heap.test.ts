import { describe, expect, it } from "vitest";
import { MinHeap } from "./min-heap.js";

/** A small seeded PRNG (mulberry32), so failures reproduce. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("MinHeap", () => {
  it("is empty at first", () => {
    const heap = new MinHeap<number>((n) => n);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
  });

  it("pops random input in key order, duplicates included", () => {
    for (const seed of [1, 2, 3, 42]) {
      const random = seeded(seed);
      const keys = Array.from({ length: 500 }, () => Math.floor(random() * 100));
      const heap = new MinHeap<{ key: number }>((item) => item.key);
      for (const key of keys) heap.push({ key });
      expect(heap.size).toBe(500);
      const popped: number[] = [];
      for (let item = heap.pop(); item; item = heap.pop()) popped.push(item.key);
      expect(popped).toEqual([...keys].sort((a, b) => a - b));
      expect(heap.size).toBe(0);
    }
  });

  it("peeks the minimum, and stays ordered under interleaved pushes and pops", () => {
    const random = seeded(7);
    const heap = new MinHeap<number>((n) => n);
    const reference: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      if (reference.length > 0 && random() < 0.4) {
        reference.sort((a, b) => a - b);
        expect(heap.pop()).toBe(reference.shift());
      } else {
        const n = Math.floor(random() * 1_000_000);
        heap.push(n);
        reference.push(n);
      }
      expect(heap.size).toBe(reference.length);
      expect(heap.peek()).toBe(reference.length ? Math.min(...reference) : undefined);
    }
  });

  it("orders by the key function, e.g. a date's time", () => {
    const heap = new MinHeap<Date>((d) => d.getTime());
    for (const iso of ["2025-03-01T00:00:00Z", "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"]) heap.push(new Date(iso));
    expect([heap.pop(), heap.pop(), heap.pop()].map((d) => d!.toISOString())).toEqual([
      "2025-01-01T00:00:00.000Z",
      "2025-02-01T00:00:00.000Z",
      "2025-03-01T00:00:00.000Z",
    ]);
  });
});

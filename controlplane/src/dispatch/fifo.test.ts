import { describe, expect, it } from "vitest";
import { Fifo } from "./fifo.js";

function drain<T>(fifo: Fifo<T>): T[] {
  const out: T[] = [];
  while (fifo.size > 0) out.push(fifo.shift()!);
  return out;
}

describe("Fifo", () => {
  it("shifts in push order and reports size and head", () => {
    const fifo = new Fifo<string>();
    expect(fifo.size).toBe(0);
    expect(fifo.peek()).toBeUndefined();
    expect(fifo.shift()).toBeUndefined();
    fifo.push("a");
    fifo.push("b");
    fifo.push("c");
    expect(fifo.size).toBe(3);
    expect(fifo.peek()).toBe("a");
    expect(fifo.shift()).toBe("a");
    expect(fifo.size).toBe(2);
    expect(drain(fifo)).toEqual(["b", "c"]);
    expect(fifo.shift()).toBeUndefined();
  });

  it("unshifts to the front, both before and after shifting", () => {
    const fifo = new Fifo<number>();
    fifo.unshift(2);
    fifo.unshift(1);
    fifo.push(3);
    expect(fifo.shift()).toBe(1);
    fifo.unshift(0);
    fifo.unshift(-1);
    expect(fifo.peek()).toBe(-1);
    expect(fifo.size).toBe(4);
    expect(drain(fifo)).toEqual([-1, 0, 2, 3]);
  });

  it("keeps order and size across compaction after many shifts", () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 3_000; i++) fifo.push(i);
    for (let i = 0; i < 2_000; i++) expect(fifo.shift()).toBe(i);
    expect(fifo.size).toBe(1_000);
    fifo.unshift(-1);
    fifo.push(3_000);
    expect(fifo.peek()).toBe(-1);
    expect(drain(fifo)).toEqual([-1, ...Array.from({ length: 1_001 }, (_, i) => 2_000 + i)]);
  });
});

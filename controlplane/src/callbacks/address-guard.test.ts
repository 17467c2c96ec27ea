import { describe, expect, it } from "vitest";
import { AddressGuard, RefusedAddressError } from "./address-guard.js";

describe("AddressGuard", () => {
  const guard = new AddressGuard([]);

  it.each([
    ["127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "metadata"],
    ["168.63.129.16", "metadata"],
    ["100.64.0.1", "carrierGradeNat"],
    ["0.0.0.0", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "linkLocal"],
    ["fd12:3456::1", "uniqueLocal"],
    ["::ffff:127.0.0.1", "ipv4Mapped"],
    ["::ffff:8.8.8.8", "ipv4Mapped"],
    ["fd00:ec2::254", "metadata"],
    ["::7f00:1", "IPv4-compatible"],
    ["64:ff9b::7f00:1", "rfc6052"],
  ])("refuses %s (%s)", (address, why) => {
    expect(guard.refusal(address)).toContain(why);
  });

  it.each(["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])("lets %s through", (address) => {
    expect(guard.refusal(address)).toBeUndefined();
  });

  it("lets an allow-listed network through, and only that network", () => {
    const local = new AddressGuard(["127.0.0.0/8", "::1/128"]);
    expect(local.refusal("127.0.0.1")).toBeUndefined();
    expect(local.refusal("::1")).toBeUndefined();
    expect(local.refusal("10.0.0.1")).toContain("private");
  });

  it("checks URL shape and literal hosts up front", () => {
    expect(() => guard.checkUrl("ftp://example.com/x")).toThrow(/http or https/);
    expect(() => guard.checkUrl("http://user:pw@example.com/")).toThrow(/credentials/);
    expect(() => guard.checkUrl("http://[::1]:8080/hook")).toThrow(RefusedAddressError);
    expect(() => guard.checkUrl("http://192.168.0.10/hook")).toThrow(/private/);
    expect(guard.checkUrl("https://example.com/hook").hostname).toBe("example.com");
  });

  it("refuses a name that resolves to loopback", async () => {
    await expect(guard.resolve(new URL("http://localhost:9/"), 5_000)).rejects.toThrow(/loopback/);
  });

  it("refuses an allow-list entry that is not a CIDR", () => {
    expect(() => new AddressGuard(["localhost"])).toThrow(/not a CIDR/);
  });
});

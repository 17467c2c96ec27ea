// The SSRF guard: a callback may only reach public unicast addresses, unless the operator
// allow-lists a network. The host is resolved once per attempt and the request is pinned to the
// address that was checked, so DNS cannot answer differently between the check and the connect.
import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { InvalidArgumentError } from "../domain/errors.js";

/** Cloud metadata services that sit at public-looking or otherwise unremarkable addresses. */
const METADATA_ADDRESSES = ["169.254.169.254", "169.254.170.2", "168.63.129.16", "100.100.100.200", "fd00:ec2::254"].map((a) => ipaddr.parse(a).toNormalizedString());

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** IPv4-compatible IPv6 (::a.b.c.d, deprecated): ipaddr.js calls it unicast, but it carries an IPv4 address. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/** A callback URL or address the guard will not let a request reach. */
export class RefusedAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RefusedAddressError";
  }
}

export class AddressGuard {
  private readonly allowed: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  /** `allowedNetworks`: CIDRs reachable whatever their range, e.g. "127.0.0.0/8" for local receivers. */
  constructor(allowedNetworks: string[]) {
    this.allowed = allowedNetworks.map((cidr) => {
      if (!ipaddr.isValidCIDR(cidr)) throw new Error(`callback allow-list: "${cidr}" is not a CIDR such as 10.0.0.0/8 or ::1/128`);
      return ipaddr.parseCIDR(cidr);
    });
  }

  /** Why an address may not be reached, or undefined when it may. */
  refusal(address: string): string | undefined {
    const ip = ipaddr.parse(address);
    if (this.allowed.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits))) return undefined;
    if (METADATA_ADDRESSES.includes(ip.toNormalizedString())) return `${address} is a cloud metadata address`;
    const range = ip.range();
    if (range !== "unicast") return `${address} is a ${range} address`;
    if (ip.kind() === "ipv6" && ip.match(IPV4_COMPATIBLE)) return `${address} is an IPv4-compatible address`;
    return undefined;
  }

  /** Checks a URL's shape, and its host when that is an IP literal; names are checked when resolved. */
  checkUrl(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RefusedAddressError(`callback url "${url}" is not a URL`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new RefusedAddressError(`callback url must be http or https, not ${parsed.protocol}`);
    if (parsed.username || parsed.password) throw new RefusedAddressError("callback url must not carry credentials; sign with the callback secret instead");
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    const why = ipaddr.isValid(host) ? this.refusal(host) : undefined;
    if (why) throw new RefusedAddressError(`callback url refused: ${why}; an operator can allow its network with TASKPLANE_CALLBACK_ALLOW`);
    return parsed;
  }

  /**
   * Resolves a URL's host within `timeoutMs` to the addresses it may reach (all of them, so the
   * connection can fall back between IPv4 and IPv6), refusing when any answer is off-limits.
   */
  async resolve(url: URL, timeoutMs: number): Promise<ResolvedAddress[]> {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const answers = ipaddr.isValid(host) ? [{ address: host, family: ipaddr.parse(host).kind() === "ipv4" ? 4 : 6 }] : await lookupWithin(host, timeoutMs);
    if (answers.length === 0) throw new RefusedAddressError(`${host} did not resolve`);
    // Refuse when any answer is off-limits: a name pointing partly inside is not a public receiver.
    for (const a of answers) {
      const why = this.refusal(a.address);
      if (why) throw new RefusedAddressError(`${host} refused: ${why}`);
    }
    return answers.map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
  }
}

/** dns.lookup has no timeout of its own, and a black-holed name server would outlast the delivery's lease. */
async function lookupWithin(host: string, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RefusedAddressError(`${host} did not resolve within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([lookup(host, { all: true }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Checks a URL a request names, refusing it as INVALID_ARGUMENT on `field` when the guard would. */
export function checkRequestUrl(guard: AddressGuard, field: string, url: string): void {
  try {
    guard.checkUrl(url);
  } catch (e) {
    if (e instanceof RefusedAddressError) throw new InvalidArgumentError(`${field}: ${e.message}`);
    throw e;
  }
}

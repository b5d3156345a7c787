// Compiles envoy.config.core.v3.CidrRange (IPv4 or IPv6 prefix) to a predicate over a plain IP string.

import { BlockList, isIP } from "node:net";
import { invalid, stringField, wrapped, type XdsObject } from "../../config/xds-fields.js";
import { plainIp } from "../../http/connection-info.js";

export type IpPredicate = (ip: string) => boolean;

/** Envoy CidrRange: `address_prefix` with `prefix_len` (default 0: every address of that family); "" never matches. */
export function compileCidrRange(resource: string, r: XdsObject): IpPredicate {
  const address = stringField(resource, r, "address_prefix") ?? invalid(resource, "CidrRange without address_prefix");
  const family = isIP(address);
  if (family === 0) invalid(resource, `CidrRange address_prefix ${JSON.stringify(address)} is not an IP address`);
  const len = wrapped<number>(r, "prefix_len", 0);
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(len) || len < 0 || len > max) invalid(resource, `invalid prefix_len ${len} for ${address}`);
  const type = family === 4 ? "ipv4" : "ipv6";
  const list = new BlockList();
  list.addSubnet(address, len, type);
  return (ip) => {
    const plain = plainIp(ip);
    // An address of the other family is never in range (Envoy CidrRange::isInRange compares versions first).
    return isIP(plain) === family && list.check(plain, type);
  };
}

// Unit tests for filter chain selection in Envoy's order (most specific wins per criterion, no backtracking).

import { test } from "node:test";
import assert from "node:assert/strict";
import { parseFilterChainMatch, selectFilterChain, type ConnectionMetadata } from "./filter-chain-match.js";
import type { XdsObject } from "../config/xds-fields.js";

function chains(...ms: Array<[string, XdsObject | undefined]>): Array<{ name: string; match: ReturnType<typeof parseFilterChainMatch> }> {
  return ms.map(([name, m]) => ({ name, match: parseFilterChainMatch("l", m) }));
}

function conn(o: Partial<ConnectionMetadata>): ConnectionMetadata {
  return { destinationIp: "10.0.0.1", destinationPort: 9000, sourceIp: "127.0.0.1", sourcePort: 40000, transportProtocol: "raw_buffer", sni: "", alpn: [], ...o };
}

const cidr = (a: string, len: number): XdsObject => ({ address_prefix: a, prefix_len: { value: len } });

test("destination IP: the longest matching prefix wins, a chain without prefix_ranges is the fallback", () => {
  const cs = chains(["any", undefined], ["wide", { prefix_ranges: [cidr("10.0.0.0", 8)] }], ["narrow", { prefix_ranges: [cidr("10.0.0.1", 32)] }]);
  assert.equal(selectFilterChain(cs, conn({}))!.name, "narrow");
  assert.equal(selectFilterChain(cs, conn({ destinationIp: "10.9.9.9" }))!.name, "wide");
  assert.equal(selectFilterChain(cs, conn({ destinationIp: "::ffff:10.9.9.9" }))!.name, "wide");
  assert.equal(selectFilterChain(cs, conn({ destinationIp: "192.168.0.1" }))!.name, "any");
});

test("destination port is decided before IP: a port match beats a more specific IP match", () => {
  const cs = chains(["ip", { prefix_ranges: [cidr("10.0.0.1", 32)] }], ["port", { destination_port: { value: 9000 } }]);
  assert.equal(selectFilterChain(cs, conn({}))!.name, "port");
  assert.equal(selectFilterChain(cs, conn({ destinationPort: 1 }))!.name, "ip");
});

test("server names: exact beats the longest wildcard, which beats none; no SNI falls to the chain without names", () => {
  const cs = chains(
    ["none", undefined],
    ["star", { server_names: ["*.example.com"], transport_protocol: "tls" }],
    ["star2", { server_names: ["*.a.example.com"], transport_protocol: "tls" }],
    ["exact", { server_names: ["x.a.example.com"], transport_protocol: "tls" }],
  );
  const tls = (sni: string): ConnectionMetadata => conn({ transportProtocol: "tls", sni });
  assert.equal(selectFilterChain(cs, tls("x.a.example.com"))!.name, "exact");
  assert.equal(selectFilterChain(cs, tls("y.a.example.com"))!.name, "star2");
  assert.equal(selectFilterChain(cs, tls("b.example.com"))!.name, "star");
  assert.equal(selectFilterChain(cs, tls("example.com"))!.name, "none");
  assert.equal(selectFilterChain(cs, conn({}))!.name, "none");
});

test("no backtracking: the most specific IP chain is kept even when its SNI then fails (no chain, as Envoy)", () => {
  const cs = chains(["ip+sni", { prefix_ranges: [cidr("10.0.0.1", 32)], server_names: ["a.com"] }], ["any", undefined]);
  assert.equal(selectFilterChain(cs, conn({ transportProtocol: "tls", sni: "b.com" })), undefined);
  assert.equal(selectFilterChain(cs, conn({ transportProtocol: "tls", sni: "a.com" }))!.name, "ip+sni");
});

test("transport protocol, ALPN and source prefix narrow in that order", () => {
  const cs = chains(
    ["raw", { transport_protocol: "raw_buffer" }],
    ["tls", { transport_protocol: "tls" }],
    ["tls-h2", { transport_protocol: "tls", application_protocols: ["h2"] }],
    ["tls-h2-local", { transport_protocol: "tls", application_protocols: ["h2"], source_prefix_ranges: [cidr("127.0.0.0", 8)] }],
  );
  assert.equal(selectFilterChain(cs, conn({}))!.name, "raw");
  assert.equal(selectFilterChain(cs, conn({ transportProtocol: "tls", alpn: ["http/1.1"] }))!.name, "tls");
  assert.equal(selectFilterChain(cs, conn({ transportProtocol: "tls", alpn: ["h2"] }))!.name, "tls-h2-local");
  assert.equal(selectFilterChain(cs, conn({ transportProtocol: "tls", alpn: ["h2"], sourceIp: "10.1.1.1" }))!.name, "tls-h2");
});

test("nothing matches: undefined (the listener then uses its default chain or closes)", () => {
  const cs = chains(["a", { prefix_ranges: [cidr("10.0.0.0", 8)] }]);
  assert.equal(selectFilterChain(cs, conn({ destinationIp: "11.0.0.1" })), undefined);
});

// Test support: proves a generated object survives packAny → unpackAny with every field intact.

import assert from "node:assert/strict";
import { packAny, unpackAny } from "../../../xds/any.js";
import { messageNameOf } from "../../../xds/type-urls.js";

/** Proto3 has no "present but empty" repeated field: drops empty arrays, as encoding does. */
function dropEmptyLists(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropEmptyLists);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!(Array.isArray(x) && x.length === 0)) out[k] = dropEmptyLists(x);
  return out;
}

/**
 * Asserts that `resource` encodes as `typeUrl` and decodes back deep-equal (protobufjs keeps explicitly set defaults,
 * and drops fields the type does not have: a misspelt or misplaced field makes this fail). Returns the decoded object.
 */
export function assertRoundTrip(typeUrl: string, resource: Record<string, unknown>): Record<string, unknown> {
  const decoded = unpackAny(packAny(typeUrl, resource));
  const expected = dropEmptyLists(JSON.parse(JSON.stringify(resource))) as Record<string, unknown>;
  assert.deepStrictEqual(decoded, expected, `${messageNameOf(typeUrl)} ${String(resource.name ?? resource.cluster_name)} lost fields in encoding`);
  return decoded;
}

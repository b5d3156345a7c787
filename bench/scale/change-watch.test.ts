// Tests for ChangeWatch: markers are found by exact length-prefixed value, counted per proxy, filtered by namespace.

import { test } from "node:test";
import assert from "node:assert/strict";
import { packAny } from "../../src/xds/any.js";
import { ENDPOINT_TYPE } from "../../src/xds/type-urls.js";
import { ChangeWatch } from "./change-watch.js";

const claAt = (address: string) =>
  Buffer.from(packAny(ENDPOINT_TYPE, { cluster_name: "c", endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: 80 } } } }] }] }).value);

test("a marker counts only when the exact string is present, and completes after its expected deliveries", () => {
  const watch = new ChangeWatch("127.3.", [{ value: "127.3.0.1", expected: 2 }]);
  const pending = watch.pendingFor("ns-0");
  const longer = claAt("127.3.0.10");
  watch.scan(longer, 0, longer.length, pending);
  assert.equal(pending.get("127.3.0.1"), 2, "127.3.0.10 is not 127.3.0.1");
  const exact = Buffer.concat([claAt("127.3.0.1"), claAt("127.3.0.1")]);
  watch.scan(exact, 0, exact.length, pending);
  assert.equal(pending.size, 0);
  watch.scan(exact, 0, exact.length, pending);
  assert.equal(pending.size, 0, "a repeated delivery changes nothing");
});

test("only markers of services a proxy's namespace sees are pending for it; each proxy gets its own counts", () => {
  const watch = new ChangeWatch("127.3.", [{ value: "127.3.0.1", expected: 1, namespaces: ["ns-1"] }, { value: "127.3.0.2", expected: 1 }]);
  assert.deepEqual([...watch.pendingFor("ns-0").keys()], ["127.3.0.2"]);
  const a = watch.pendingFor("ns-1");
  const b = watch.pendingFor("ns-1");
  const bytes = claAt("127.3.0.2");
  watch.scan(bytes, 0, bytes.length, a);
  assert.deepEqual([...a.keys()], ["127.3.0.1"]);
  assert.equal(b.size, 2);
});

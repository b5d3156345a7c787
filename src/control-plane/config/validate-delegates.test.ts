// Tests of delegate VirtualService cross-checks: missing target, target with hosts, cycles.

import { test } from "node:test";
import assert from "node:assert/strict";
import { TestSnapshot } from "../model/test-snapshot.js";
import { checkDelegates } from "./validate-delegates.js";

const vs = (name: string, spec: Record<string, unknown>) => ({ kind: "VirtualService", metadata: { name }, spec });

test("delegate checks: missing, has hosts, cycle; a valid delegate is silent", () => {
  const snap = new TestSnapshot([
    vs("root", { hosts: ["a"], http: [{ delegate: { name: "ok" } }, { delegate: { name: "missing" } }, { delegate: { name: "other-root" } }] }),
    vs("ok", { http: [{ route: [{ destination: { host: "a" } }] }] }),
    vs("other-root", { hosts: ["b"], http: [{ route: [{ destination: { host: "b" } }] }] }),
    vs("self", { hosts: ["c"], http: [{ delegate: { name: "self" } }] }),
    vs("x", { http: [{ delegate: { name: "y" } }] }),
    vs("y", { http: [{ delegate: { name: "x" } }] }),
  ]);
  const got = checkDelegates(snap).map((d) => `${d.name} ${d.field}: ${d.reason}`);
  assert.deepEqual(got.sort(), [
    "root spec.http[1].delegate: delegate VirtualService default/missing not found",
    "root spec.http[2].delegate: delegate VirtualService default/other-root has hosts, so it is not a delegate; the rule is ignored",
    "self spec.http[0].delegate: delegation cycle: default/self → default/self leads back to itself",
    "x spec.http[0].delegate: delegation cycle: default/x → default/y leads back to itself",
    "y spec.http[0].delegate: delegation cycle: default/y → default/x leads back to itself",
  ]);
  assert.ok(checkDelegates(snap).every((d) => d.code === "CONFIG_DELEGATE" && d.severity === "warning"));
});

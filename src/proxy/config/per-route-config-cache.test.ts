import { test } from "node:test";
import assert from "node:assert/strict";
import { Logger } from "../../shared/logger.js";
import { invalid, type XdsObject } from "./xds-fields.js";
import { PerRouteConfigCache } from "./per-route-config-cache.js";

test("configs compile once per object; an invalid one throws from compile and is skipped (once) by tryCompile", () => {
  let builds = 0;
  const cache = new PerRouteConfigCache(new Logger("test"), "thing", (resource, o: XdsObject) => {
    builds++;
    if (o.bad) invalid(resource, "bad thing");
    return { v: o.v };
  });
  const good = { v: 1 };
  assert.equal(cache.compile("r", good), cache.tryCompile("r", good));
  assert.equal(builds, 1);
  const bad = { bad: true };
  assert.throws(() => cache.compile("r", bad), /bad thing/);
  assert.equal(cache.tryCompile("r", bad), undefined);
  assert.equal(cache.tryCompile("r", bad), undefined);
  assert.equal(builds, 3, "the failure is remembered after the first tryCompile");
});

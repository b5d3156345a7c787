// Unit tests for bootstrap tokens: file creation (0600, idempotent, names checked) and token → identity mapping.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWorkloadToken, TokenAuthenticator, tokenPath } from "./token-authenticator.js";
import { CaError } from "./ca-error.js";

test("each workload token maps to its own SPIFFE identity; unknown, empty and other tokens map to nothing; new tokens count at once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "weft-tokens-"));
  try {
    const auth = new TokenAuthenticator(dir, "example.org");
    assert.equal(await auth.authenticate("anything"), undefined, "no tokens directory yet");

    const reviewsPath = await createWorkloadToken(dir, "default", "reviews");
    assert.equal(reviewsPath, tokenPath(dir, "default", "reviews"));
    assert.equal((await stat(reviewsPath)).mode & 0o777, 0o600);
    const reviews = (await readFile(reviewsPath, "utf8")).trim();
    assert.match(reviews, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await createWorkloadToken(dir, "default", "reviews"), reviewsPath);
    assert.equal((await readFile(reviewsPath, "utf8")).trim(), reviews, "an existing token is kept");

    const ratings = (await readFile(await createWorkloadToken(dir, "prod", "ratings.v2"), "utf8")).trim();
    assert.equal(await auth.authenticate(reviews), "spiffe://example.org/ns/default/sa/reviews");
    assert.equal(await auth.authenticate(ratings), "spiffe://example.org/ns/prod/sa/ratings.v2");
    assert.equal(await auth.authenticate(reviews.slice(1)), undefined);
    assert.equal(await auth.authenticate(""), undefined);

    for (const [ns, sa] of [["../x", "a"], ["default", "../../etc"], ["Default", "a"], ["default", ""]] as const) {
      await assert.rejects(createWorkloadToken(dir, ns, sa), (e: unknown) => e instanceof CaError && e.code === "CA_TOKEN");
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

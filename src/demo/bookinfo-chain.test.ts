// Tests for the sample apps' request chain, run in-process without sidecars: productpage → details, reviews → ratings.

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { startAppServer, type RunningApp } from "./app-server.js";
import { startBookinfoApp } from "./bookinfo-app.js";
import { ratingsHandler } from "./ratings.js";

interface Chain {
  productpage: RunningApp;
  ratingsSeen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** ratings (recording the headers it receives), details, one reviews version and productpage, wired by address. */
async function startChain(reviewsVersion: string, opts: { ratingsDown?: boolean; reviewsDown?: boolean } = {}): Promise<Chain> {
  const ratingsSeen: IncomingHttpHeaders[] = [];
  const handler = ratingsHandler();
  const ratings = await startAppServer((req, res) => {
    ratingsSeen.push(req.headers);
    handler(req, res);
  }, "127.0.0.1", 0);
  const details = await startBookinfoApp({ service: "details", version: "v1", port: 0 });
  const reviews = await startBookinfoApp({
    service: "reviews",
    version: reviewsVersion,
    port: 0,
    direct: { ratings: `127.0.0.1:${ratings.port}` },
  });
  if (opts.ratingsDown) await ratings.close();
  if (opts.reviewsDown) await reviews.close();
  const productpage = await startBookinfoApp({
    service: "productpage",
    version: "v1",
    port: 0,
    direct: { details: `127.0.0.1:${details.port}`, reviews: `127.0.0.1:${reviews.port}` },
  });
  return {
    productpage,
    ratingsSeen,
    close: async () => {
      await productpage.close();
      if (!opts.reviewsDown) await reviews.close();
      await details.close();
      if (!opts.ratingsDown) await ratings.close();
    },
  };
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on("error", reject);
  });
}

test("productpage → reviews v2 → ratings answers black stars, names v2 and includes details", async () => {
  const chain = await startChain("v2");
  try {
    const { status, body } = await get(chain.productpage.port, "/productpage");
    assert.equal(status, 200);
    assert.equal(body.reviews.version, "v2");
    assert.deepEqual(body.reviews.reviews.map((r: any) => r.rating), [{ stars: 5, color: "black" }, { stars: 4, color: "black" }]);
    assert.equal(body.details.author, "William Shakespeare");
    assert.equal(chain.ratingsSeen.length, 1);
  } finally {
    await chain.close();
  }
});

test("reviews v3 shows red stars; reviews v1 shows none and never calls ratings", async () => {
  const v3 = await startChain("v3");
  try {
    const { body } = await get(v3.productpage.port, "/productpage");
    assert.equal(body.reviews.version, "v3");
    assert.equal(body.reviews.reviews[0].rating.color, "red");
  } finally {
    await v3.close();
  }
  const v1 = await startChain("v1");
  try {
    const { body } = await get(v1.productpage.port, "/productpage");
    assert.equal(body.reviews.version, "v1");
    assert.equal(body.reviews.reviews[0].rating, undefined);
    assert.equal(v1.ratingsSeen.length, 0);
  } finally {
    await v1.close();
  }
});

test("end-user, x-request-id, b3 and traceparent travel from productpage's caller through reviews to ratings", async () => {
  const chain = await startChain("v2");
  const sent = {
    "end-user": "jason",
    "x-request-id": "7f1c2b8e-0000-4000-8000-000000000001",
    "x-b3-traceid": "80f198ee56343ba864fe8b2a57d3eff7",
    "x-b3-spanid": "e457b5a2e4d86bd1",
    "x-b3-sampled": "1",
    traceparent: "00-80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-01",
  };
  try {
    const { body } = await get(chain.productpage.port, "/productpage", { ...sent, "x-not-forwarded": "1" });
    assert.equal(body.user, "jason");
    const seen = chain.ratingsSeen[0];
    for (const [name, value] of Object.entries(sent)) assert.equal(seen[name], value, name);
    assert.equal(seen["x-not-forwarded"], undefined);
    assert.equal(seen.host, "ratings:9080", "the Host header names the service, as a sidecar needs");
  } finally {
    await chain.close();
  }
});

test("with ratings down reviews v2 still answers, each review carrying a rating error, and productpage answers 200", async () => {
  const chain = await startChain("v2", { ratingsDown: true });
  try {
    const { status, body } = await get(chain.productpage.port, "/productpage");
    assert.equal(status, 200);
    assert.equal(body.reviews.version, "v2");
    assert.match(body.reviews.reviews[0].rating.error, /Ratings service is currently unavailable/);
  } finally {
    await chain.close();
  }
});

test("with reviews down productpage answers 200 with reviews.error and no version", async () => {
  const chain = await startChain("v1", { reviewsDown: true });
  try {
    const { status, body } = await get(chain.productpage.port, "/productpage");
    assert.equal(status, 200);
    assert.equal(body.reviews.version, undefined);
    assert.match(body.reviews.error, /Sorry, reviews are currently unavailable/);
    assert.equal(body.details.id, 0);
  } finally {
    await chain.close();
  }
});

// The Bookinfo `productpage` service: GET /productpage → the product with its details and reviews, as JSON.

import { sendJson, type AppHandler } from "./app-server.js";
import { pickForwardedHeaders } from "./forwarded-headers.js";
import type { MeshClient, MeshResponse } from "./mesh-client.js";

/** The part of a productpage answer that stands for a failed call. */
export interface UnavailablePart {
  error: string;
}

/**
 * Handler for productpage v1. Calls details:9080 and reviews:9080 in parallel through `client`, forwarding
 * the inbound headers (so `end-user: jason` reaches the reviews route). Like Bookinfo it answers 200 even
 * when a backend fails, with `{error}` in that part; `reviews.version` says which reviews version served.
 */
export function productpageHandler(client: MeshClient): AppHandler {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/productpage" && path !== "/") return sendJson(res, 404, { error: "not found" });
    const headers = pickForwardedHeaders(req.headers);
    const productId = 0;
    Promise.all([
      client.getJson("details", 9080, `/details/${productId}`, headers).then(partOf("details"), unavailable("details")),
      client.getJson("reviews", 9080, `/reviews/${productId}`, headers).then(partOf("reviews"), unavailable("reviews")),
    ]).then(([details, reviews]) =>
      sendJson(res, 200, { product: { id: productId, title: "The Comedy of Errors" }, user: headers["end-user"] ?? null, details, reviews }),
    );
  };
}

function partOf(service: string): (r: MeshResponse) => unknown {
  return (r) => {
    if (r.status === 200) return r.body;
    const detail = typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    return { error: `Sorry, ${service} are currently unavailable (status ${r.status}: ${detail.slice(0, 120)})` } satisfies UnavailablePart;
  };
}

function unavailable(service: string): (err: Error) => UnavailablePart {
  return (err) => ({ error: `Sorry, ${service} are currently unavailable (${err.message})` });
}

// The Bookinfo `reviews` service: v1 shows no stars, v2 asks ratings for black stars, v3 for red stars.

import { sendJson, idFromPath, type AppHandler } from "./app-server.js";
import { pickForwardedHeaders } from "./forwarded-headers.js";
import type { MeshClient } from "./mesh-client.js";

const REVIEWS = [
  { reviewer: "Reviewer1", text: "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!" },
  { reviewer: "Reviewer2", text: "Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare." },
];

const STAR_COLOR: Record<string, string | undefined> = { v1: undefined, v2: "black", v3: "red" };

/**
 * Handler for reviews `version` ("v1" | "v2" | "v3"). The body names the version that served it
 * (`version`), which is what the demo's load generator tallies. v2/v3 call ratings:9080 through `client`,
 * forwarding the inbound request's headers; if ratings fails each review carries
 * `rating: {error}` instead of stars, as Bookinfo does.
 */
export function reviewsHandler(version: string, client: MeshClient): AppHandler {
  const color = STAR_COLOR[version];
  return (req, res) => {
    const id = idFromPath(req.url, "/reviews/");
    if (id === undefined) return sendJson(res, 404, { error: "please provide numeric product id" });
    if (color === undefined) {
      return sendJson(res, 200, { id: String(id), version, reviews: REVIEWS });
    }
    client.getJson("ratings", 9080, `/ratings/${id}`, pickForwardedHeaders(req.headers)).then(
      (r) => {
        const stars = r.status === 200 ? (r.body as { ratings?: Record<string, number> }).ratings : undefined;
        sendJson(res, 200, {
          id: String(id),
          version,
          reviews: REVIEWS.map((review) => ({
            ...review,
            rating: stars?.[review.reviewer] !== undefined
              ? { stars: stars[review.reviewer], color }
              : { error: `Ratings service is currently unavailable (status ${r.status})` },
          })),
        });
      },
      (err: Error) =>
        sendJson(res, 200, {
          id: String(id),
          version,
          reviews: REVIEWS.map((review) => ({ ...review, rating: { error: `Ratings service is currently unavailable (${err.message})` } })),
        }),
    );
  };
}

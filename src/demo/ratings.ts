// The Bookinfo `ratings` service: GET /ratings/<id> → stars per reviewer.

import { sendJson, idFromPath, type AppHandler } from "./app-server.js";

/** Handler for ratings v1 (calls nothing). */
export function ratingsHandler(): AppHandler {
  return (req, res) => {
    const id = idFromPath(req.url, "/ratings/");
    if (id === undefined) return sendJson(res, 400, { error: "please provide numeric product ID" });
    sendJson(res, 200, { id, ratings: { Reviewer1: 5, Reviewer2: 4 } });
  };
}

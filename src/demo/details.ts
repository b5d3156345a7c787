// The Bookinfo `details` service: GET /details/<id> → the book's details.

import { sendJson, idFromPath, type AppHandler } from "./app-server.js";

/** Handler for details v1 (Bookinfo's details has one version and calls nothing). */
export function detailsHandler(): AppHandler {
  return (req, res) => {
    const id = idFromPath(req.url, "/details/");
    if (id === undefined) return sendJson(res, 404, { error: "please provide numeric product id" });
    sendJson(res, 200, {
      id,
      author: "William Shakespeare",
      year: 1595,
      type: "paperback",
      pages: 200,
      publisher: "PublisherA",
      language: "English",
      "ISBN-10": "1234567890",
      "ISBN-13": "123-1234567890",
    });
  };
}

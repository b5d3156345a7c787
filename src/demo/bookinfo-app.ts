// Starts one Bookinfo service (productpage, details, reviews or ratings) in this process.

import { startAppServer, type AppHandler, type RunningApp } from "./app-server.js";
import { detailsHandler } from "./details.js";
import { MeshClient, type MeshClientOptions } from "./mesh-client.js";
import { productpageHandler } from "./productpage.js";
import { ratingsHandler } from "./ratings.js";
import { reviewsHandler } from "./reviews.js";
import { WeftError } from "../shared/weft-error.js";

export const BOOKINFO_SERVICES = ["productpage", "details", "reviews", "ratings"] as const;
export type BookinfoService = (typeof BOOKINFO_SERVICES)[number];

export interface BookinfoAppOptions extends MeshClientOptions {
  service: string;
  /** "v1" for every service but reviews, which has v1, v2 and v3. */
  version: string;
  /** Listen address; the sidecar's inbound cluster forwards to it (default 127.0.0.1). */
  host?: string;
  /** Listen port; 0 picks one. */
  port: number;
}

/** Starts the service; outbound calls go through `sidecar` (or `direct` addresses). Throws DEMO_UNKNOWN_SERVICE. */
export async function startBookinfoApp(opts: BookinfoAppOptions): Promise<RunningApp> {
  const client = new MeshClient(opts);
  const handler = handlerFor(opts.service, opts.version, client);
  const app = await startAppServer(handler, opts.host ?? "127.0.0.1", opts.port);
  return {
    host: app.host,
    port: app.port,
    close: async () => {
      client.close();
      await app.close();
    },
  };
}

function handlerFor(service: string, version: string, client: MeshClient): AppHandler {
  switch (service) {
    case "productpage":
      return productpageHandler(client);
    case "details":
      return detailsHandler();
    case "reviews":
      if (!["v1", "v2", "v3"].includes(version)) throw new WeftError("DEMO_UNKNOWN_SERVICE", `reviews has versions v1, v2, v3; not "${version}"`);
      return reviewsHandler(version, client);
    case "ratings":
      return ratingsHandler();
    default:
      throw new WeftError("DEMO_UNKNOWN_SERVICE", `unknown service "${service}" (one of ${BOOKINFO_SERVICES.join(", ")})`);
  }
}

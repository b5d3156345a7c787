// Registers envoy.filters.http.router: the terminal HTTP filter, whose forwarding the HCM's ActiveStream performs.

import { ROUTER_TYPE } from "../../../xds/type-urls.js";
import { registerHttpFilter } from "../http-filter-registry.js";

registerHttpFilter(ROUTER_TYPE, {
  terminal: true,
  createFilterFactory: () => null,
});

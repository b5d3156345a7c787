// Finds JWTs in a request (headers with a value prefix, query parameters, cookies) as Envoy's jwt_authn extractor.cc does.

import type { RequestHead } from "../../http/request-head.js";
import type { JwtProvider, TokenLocation } from "./jwt-authn-config.js";

/** A token found in the request and the providers configured for the place it was found. */
export interface ExtractedToken {
  readonly token: string;
  readonly location: TokenLocation;
  /** The providers whose config names this location; the token's issuer must be one of theirs. */
  readonly providers: readonly JwtProvider[];
}

/** A JWT's characters after a value prefix (base64url segments and dots; jwt_authn stops at the first other byte). */
const JWT_CHARS = /^[A-Za-z0-9_.+/=-]+/;

/** A place to look for tokens and the providers that name it; built once per requirement. */
export interface LocationGroup {
  readonly location: TokenLocation;
  readonly providers: readonly JwtProvider[];
}

/** The distinct locations of `providers`, headers first, then query parameters, then cookies (Envoy's order). */
export function locationGroups(providers: readonly JwtProvider[]): LocationGroup[] {
  const groups = new Map<string, { location: TokenLocation; providers: JwtProvider[] }>();
  for (const p of providers) {
    for (const loc of p.locations) {
      const key = `${loc.kind}\n${loc.name}\n${loc.prefix}`;
      const g = groups.get(key);
      if (g === undefined) groups.set(key, { location: loc, providers: [p] });
      else if (!g.providers.includes(p)) g.providers.push(p);
    }
  }
  const order = { header: 0, param: 1, cookie: 2 } as const;
  return [...groups.values()].sort((x, y) => order[x.location.kind] - order[y.location.kind]);
}

/** The tokens present at `groups`' locations, in their order. */
export function extractTokens(head: RequestHead, groups: readonly LocationGroup[]): ExtractedToken[] {
  const out: ExtractedToken[] = [];
  for (const g of groups) {
    const token = find(head, g.location);
    if (token !== undefined) out.push({ token, location: g.location, providers: g.providers });
  }
  return out;
}

function find(head: RequestHead, loc: TokenLocation): string | undefined {
  switch (loc.kind) {
    case "header": {
      const h = head.headers;
      for (let i = 0; i < h.length; i += 2) {
        if (h[i] !== loc.name) continue;
        const v = h[i + 1];
        if (loc.prefix === "") return v.trim() === "" ? undefined : v.trim();
        const at = v.indexOf(loc.prefix);
        if (at < 0) continue;
        const m = JWT_CHARS.exec(v.slice(at + loc.prefix.length));
        if (m !== null) return m[0];
      }
      return undefined;
    }
    case "param": {
      const q = head.path.indexOf("?");
      if (q < 0) return undefined;
      const v = new URLSearchParams(head.path.slice(q + 1)).get(loc.name);
      return v === null || v === "" ? undefined : v;
    }
    case "cookie": {
      const h = head.headers;
      for (let i = 0; i < h.length; i += 2) {
        if (h[i] !== "cookie") continue;
        for (const part of h[i + 1].split(";")) {
          const eq = part.indexOf("=");
          if (eq > 0 && part.slice(0, eq).trim() === loc.name) {
            const v = part.slice(eq + 1).trim();
            if (v !== "") return v;
          }
        }
      }
      return undefined;
    }
  }
}

/** forward: false — removes the header that carried the token (Envoy leaves query parameters and cookies). */
export function removeToken(head: RequestHead, t: ExtractedToken): void {
  if (t.location.kind !== "header") return;
  removeHeader(head.headers, t.location.name);
}

/** Removes every field `name` (lower-case) from a flat header list. */
export function removeHeader(headers: string[], name: string): void {
  for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === name) headers.splice(i, 2);
}

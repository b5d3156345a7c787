// Compiled *_headers_to_add / *_headers_to_remove of a route-config level (HeaderParser): removals, then additions.

import { arrayField, invalid, objectField, type XdsObject } from "../config/xds-fields.js";

const enum AppendAction { AppendIfExistsOrAdd, AddIfAbsent, OverwriteIfExistsOrAdd, OverwriteIfExists }

const ACTIONS: Record<string, AppendAction> = {
  APPEND_IF_EXISTS_OR_ADD: AppendAction.AppendIfExistsOrAdd,
  ADD_IF_ABSENT: AppendAction.AddIfAbsent,
  OVERWRITE_IF_EXISTS_OR_ADD: AppendAction.OverwriteIfExistsOrAdd,
  OVERWRITE_IF_EXISTS: AppendAction.OverwriteIfExists,
};

interface HeaderAdd {
  readonly name: string;
  readonly value: string;
  readonly action: AppendAction;
}

/** One level's header edits (weighted cluster, route, virtual host or route configuration). Immutable. */
export interface HeaderMutation {
  readonly remove: readonly string[];
  readonly add: readonly HeaderAdd[];
}

/**
 * Reads `<side>_headers_to_add` (HeaderValueOption: header {key, value}, append_action or the legacy `append`
 * wrapper, keep_empty_value) and `<side>_headers_to_remove` from `o`; undefined when both are empty. Pseudo-headers
 * and `host` may not be edited (Envoy rejects the config).
 */
export function compileHeaderMutation(resource: string, o: XdsObject, side: "request" | "response"): HeaderMutation | undefined {
  const addList = arrayField(resource, o, `${side}_headers_to_add`);
  const removeList = o[`${side}_headers_to_remove`];
  if (addList.length === 0 && (!Array.isArray(removeList) || removeList.length === 0)) return undefined;
  const remove: string[] = [];
  if (removeList !== undefined && removeList !== null) {
    if (!Array.isArray(removeList)) invalid(resource, `${side}_headers_to_remove must be a list`);
    for (const r of removeList as unknown[]) {
      if (typeof r !== "string" || r === "") invalid(resource, `${side}_headers_to_remove: empty header name`);
      const name = r.toLowerCase();
      if (name.startsWith(":") || name === "host") invalid(resource, `${side}_headers_to_remove: ${r} may not be removed`);
      remove.push(name);
    }
  }
  const add: HeaderAdd[] = [];
  for (const opt of addList) {
    const header = objectField(resource, opt, "header") ?? invalid(resource, `${side}_headers_to_add entry without header`);
    const key = typeof header.key === "string" && header.key !== "" ? header.key.toLowerCase() : invalid(resource, `${side}_headers_to_add: header without key`);
    if (key.startsWith(":") || key === "host") invalid(resource, `${side}_headers_to_add: ${key} may not be modified`);
    const value = typeof header.value === "string" ? header.value : "";
    if (value === "" && opt.keep_empty_value !== true) continue;
    let action = AppendAction.AppendIfExistsOrAdd;
    if (typeof opt.append_action === "string") {
      action = ACTIONS[opt.append_action] ?? invalid(resource, `${side}_headers_to_add: unknown append_action ${opt.append_action}`);
    } else if (opt.append !== undefined && opt.append !== null) {
      const a = typeof opt.append === "object" ? (opt.append as XdsObject).value : opt.append;
      action = a === false ? AppendAction.OverwriteIfExistsOrAdd : AppendAction.AppendIfExistsOrAdd;
    }
    add.push({ name: key, value: unescapePercent(value), action });
  }
  if (add.length === 0 && remove.length === 0) return undefined;
  return { remove, add };
}

/** Envoy header values are format strings; `%%` is a literal `%` (command operators are not supported here). */
function unescapePercent(v: string): string {
  return v.indexOf("%%") === -1 ? v : v.replaceAll("%%", "%");
}

/** Applies one level's edits in place to a flat lowercase [name, value, ...] list: removals first, then additions. */
export function applyHeaderMutation(m: HeaderMutation, headers: string[]): void {
  for (let r = 0; r < m.remove.length; r++) removeAll(headers, m.remove[r]);
  for (let a = 0; a < m.add.length; a++) {
    const { name, value, action } = m.add[a];
    switch (action) {
      case AppendAction.AppendIfExistsOrAdd:
        headers.push(name, value);
        break;
      case AppendAction.AddIfAbsent:
        if (indexOf(headers, name) === -1) headers.push(name, value);
        break;
      case AppendAction.OverwriteIfExistsOrAdd:
        removeAll(headers, name);
        headers.push(name, value);
        break;
      case AppendAction.OverwriteIfExists:
        if (indexOf(headers, name) !== -1) {
          removeAll(headers, name);
          headers.push(name, value);
        }
        break;
    }
  }
}

/** Sets `name` to one value in a flat header list: the first occurrence keeps its place, later ones are removed. */
export function setHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = value;
      for (let j = i + 2; j < headers.length; j += 2) if (headers[j] === name) { headers.splice(j, 2); j -= 2; }
      return;
    }
  }
  headers.push(name, value);
}

function indexOf(headers: readonly string[], name: string): number {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return i;
  return -1;
}

function removeAll(headers: string[], name: string): void {
  let w = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) continue;
    if (w !== i) { headers[w] = headers[i]; headers[w + 1] = headers[i + 1]; }
    w += 2;
  }
  headers.length = w;
}

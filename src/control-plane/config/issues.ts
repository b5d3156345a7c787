// Issues: the collector semantic validators report into (path + reason, error or warning).

import type { FieldPath } from "./field-path.js";
import type { Severity } from "./config-resource.js";

export interface Issue {
  severity: Severity;
  path: FieldPath;
  reason: string;
}

/** Accumulates issues; validators call `error`/`warn` with a path relative to the resource root. */
export class Issues {
  readonly list: Issue[] = [];

  error(path: FieldPath, reason: string | undefined): void {
    if (reason) this.list.push({ severity: "error", path, reason });
  }

  warn(path: FieldPath, reason: string | undefined): void {
    if (reason) this.list.push({ severity: "warning", path, reason });
  }
}

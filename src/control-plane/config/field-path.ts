// Field paths into a resource: segment arrays and their readable form ("spec.http[0].route[1].weight").

export type PathSegment = string | number;
export type FieldPath = readonly PathSegment[];

/** Formats `["spec","http",0,"route"]` as `spec.http[0].route`; keys that are not identifiers are quoted (`labels["app.kubernetes.io/name"]`). */
export function formatPath(path: FieldPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

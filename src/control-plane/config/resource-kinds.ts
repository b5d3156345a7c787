// The Istio kinds and API versions Weft accepts, and how an apiVersion/kind pair is classified.

/** Istio API groups: kinds in these groups are validated strictly; anything else is ignored with a warning. */
const NETWORKING = "networking.istio.io";
const SECURITY = "security.istio.io";
const TELEMETRY = "telemetry.istio.io";

const SUPPORTED: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  [NETWORKING]: {
    VirtualService: ["v1alpha3", "v1beta1", "v1"],
    DestinationRule: ["v1alpha3", "v1beta1", "v1"],
    ServiceEntry: ["v1alpha3", "v1beta1", "v1"],
    WorkloadEntry: ["v1alpha3", "v1beta1", "v1"],
    WorkloadGroup: ["v1alpha3", "v1beta1", "v1"],
    Gateway: ["v1alpha3", "v1beta1", "v1"],
    Sidecar: ["v1alpha3", "v1beta1", "v1"],
    ProxyConfig: ["v1beta1"],
    EnvoyFilter: ["v1alpha3"],
  },
  [SECURITY]: {
    PeerAuthentication: ["v1beta1", "v1"],
    RequestAuthentication: ["v1beta1", "v1"],
    AuthorizationPolicy: ["v1beta1", "v1"],
  },
  [TELEMETRY]: {
    Telemetry: ["v1alpha1", "v1"],
  },
};

/** Real Istio kinds Weft does not implement: accepted with a warning and ignored, never rejected. */
const UNSUPPORTED_ISTIO_KINDS: ReadonlySet<string> = new Set([
  "extensions.istio.io/WasmPlugin",
  "install.istio.io/IstioOperator",
]);

export type KindClass =
  | { readonly type: "istio"; readonly group: string; readonly version: string; readonly kind: string }
  | { readonly type: "foreign"; readonly reason: string }
  | { readonly type: "invalid"; readonly field: "apiVersion" | "kind"; readonly reason: string };

/** Classifies a document's apiVersion and kind. */
export function classifyKind(apiVersion: unknown, kind: unknown): KindClass {
  if (typeof apiVersion !== "string" || apiVersion === "") return { type: "invalid", field: "apiVersion", reason: "apiVersion is required" };
  if (typeof kind !== "string" || kind === "") return { type: "invalid", field: "kind", reason: "kind is required" };
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const isIstioGroup = group === "istio.io" || group.endsWith(".istio.io");
  if (!isIstioGroup) return { type: "foreign", reason: `${apiVersion} ${kind} is not an Istio resource; ignored` };
  if (UNSUPPORTED_ISTIO_KINDS.has(`${group}/${kind}`)) {
    return { type: "foreign", reason: `${apiVersion} ${kind} is not supported by weft; ignored` };
  }
  const kinds = SUPPORTED[group];
  if (!kinds) return { type: "invalid", field: "apiVersion", reason: `unknown Istio API group "${group}"` };
  const versions = kinds[kind];
  if (!versions) {
    return { type: "invalid", field: "kind", reason: `unknown kind "${kind}" in ${group} (known: ${Object.keys(kinds).join(", ")})` };
  }
  if (!versions.includes(version)) {
    return { type: "invalid", field: "apiVersion", reason: `${kind} has no version "${version}" in ${group} (known: ${versions.join(", ")})` };
  }
  return { type: "istio", group, version, kind };
}

// SPIFFE workload identities as Istio writes them: spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>.

/** Kubernetes namespace names: a DNS-1123 label. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Kubernetes service account names: a DNS-1123 subdomain (no "..", no leading dot: safe as a file name). */
const SERVICE_ACCOUNT = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isNamespaceName(s: string): boolean {
  return NAMESPACE.test(s);
}

export function isServiceAccountName(s: string): boolean {
  return SERVICE_ACCOUNT.test(s);
}

/** The URI SAN of a workload certificate (istio pkg/spiffe Identity.String). */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** The parts of a workload SPIFFE id, or undefined if `uri` is not one. */
export function parseSpiffeId(uri: string): { trustDomain: string; namespace: string; serviceAccount: string } | undefined {
  const m = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(uri);
  if (!m || !isNamespaceName(m[2]!) || !isServiceAccountName(m[3]!)) return undefined;
  return { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! };
}

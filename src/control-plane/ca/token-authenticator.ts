// Bootstrap tokens (local/file mode): one random token file per (namespace, service account) under the state dir, and the authenticator mapping a presented token to the identity it was made for.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CaError } from "./ca-error.js";
import { isNamespaceName, isServiceAccountName, spiffeId } from "./spiffe-identity.js";

const TOKENS_DIR = "tokens";
const TOKEN_SUFFIX = ".token";

/** `stateDir/tokens/<namespace>/<serviceAccount>.token`. */
export function tokenPath(stateDir: string, namespace: string, serviceAccount: string): string {
  return join(stateDir, TOKENS_DIR, namespace, serviceAccount + TOKEN_SUFFIX);
}

/**
 * Creates the workload's token file (32 random bytes, base64url, mode 0600) unless it exists; returns its path.
 * Throws CA_TOKEN for names that are not a Kubernetes namespace / service account.
 */
export async function createWorkloadToken(stateDir: string, namespace: string, serviceAccount: string): Promise<string> {
  if (!isNamespaceName(namespace)) throw new CaError("CA_TOKEN", `namespace "${namespace}" is not a DNS-1123 label`);
  if (!isServiceAccountName(serviceAccount)) throw new CaError("CA_TOKEN", `service account "${serviceAccount}" is not a DNS-1123 subdomain`);
  const path = tokenPath(stateDir, namespace, serviceAccount);
  await mkdir(join(stateDir, TOKENS_DIR, namespace), { recursive: true, mode: 0o700 });
  if (existsSync(path)) return path;
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, randomBytes(32).toString("base64url") + "\n", { mode: 0o600 });
  await rename(tmp, path);
  return path;
}

interface TokenEntry {
  digest: Buffer;
  identity: string;
}

/**
 * Maps a token to `spiffe://<trustDomain>/ns/<ns>/sa/<sa>` by comparing its SHA-256 with every token file's, in
 * constant time and without stopping at a match. The directory is read again on each call (concurrent calls share
 * one read), so tokens created or removed while the CA runs take effect at once.
 */
export class TokenAuthenticator {
  private scanning: Promise<TokenEntry[]> | undefined;

  constructor(private readonly stateDir: string, private readonly trustDomain: string) {}

  /** The identity `token` was made for, or undefined. */
  async authenticate(token: string): Promise<string | undefined> {
    const entries = await this.scan();
    const digest = createHash("sha256").update(token.trim()).digest();
    let found: string | undefined;
    for (const e of entries) if (timingSafeEqual(e.digest, digest) && found === undefined) found = e.identity;
    return found;
  }

  private scan(): Promise<TokenEntry[]> {
    this.scanning ??= this.readAll().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private async readAll(): Promise<TokenEntry[]> {
    const root = join(this.stateDir, TOKENS_DIR);
    const namespaces = await readdir(root).catch(() => [] as string[]);
    const entries: TokenEntry[] = [];
    await Promise.all(
      namespaces.filter(isNamespaceName).map(async (ns) => {
        const files = await readdir(join(root, ns)).catch(() => [] as string[]);
        for (const f of files) {
          const sa = f.slice(0, -TOKEN_SUFFIX.length);
          if (!f.endsWith(TOKEN_SUFFIX) || !isServiceAccountName(sa)) continue;
          const text = await readFile(join(root, ns, f), "utf8").catch(() => undefined);
          if (!text?.trim()) continue;
          entries.push({ digest: createHash("sha256").update(text.trim()).digest(), identity: spiffeId(this.trustDomain, ns, sa) });
        }
      }),
    );
    return entries;
  }
}

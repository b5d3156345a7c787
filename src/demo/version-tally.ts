// VersionTally: counts which reviews version answered over an interval, and prints the shares as one line.

/** The reviews versions always shown, even at 0%, so the columns stay put while shares move. */
export const REVIEWS_VERSIONS: readonly string[] = ["v1", "v2", "v3"];

/** Mutable counter owned by one load generator; not shared across intervals (take a new one each interval). */
export class VersionTally {
  requests = 0;
  errors = 0;
  /** The most recent error's description, for the line under the tally. */
  lastError: string | undefined;
  private readonly byVersion = new Map<string, number>();

  /** Counts one answered request served by `version`. */
  recordVersion(version: string): void {
    this.requests++;
    this.byVersion.set(version, (this.byVersion.get(version) ?? 0) + 1);
  }

  /** Counts one failed request (network error, non-200, or reviews unavailable). */
  recordError(reason: string): void {
    this.requests++;
    this.errors++;
    this.lastError = reason;
  }

  /** Answered requests served by `version`. */
  count(version: string): number {
    return this.byVersion.get(version) ?? 0;
  }

  /** Percentage of all requests (errors included) served by `version`; 0 when there were none. */
  share(version: string): number {
    return this.requests === 0 ? 0 : (100 * this.count(version)) / this.requests;
  }

  /** `reviews  v1 90.2%  v2 9.8%  v3 0.0%   (312 req, 0 errors)`, with `label` padded to `labelWidth`. */
  format(label: string, labelWidth = 0): string {
    const versions = [...REVIEWS_VERSIONS, ...[...this.byVersion.keys()].filter((v) => !REVIEWS_VERSIONS.includes(v)).sort()];
    const shares = versions.map((v) => `${v} ${this.share(v).toFixed(1).padStart(5)}%`).join("  ");
    const errors = `${this.errors} error${this.errors === 1 ? "" : "s"}`;
    return `${label.padEnd(labelWidth)}  ${shares}   (${this.requests} req, ${errors})`;
  }
}

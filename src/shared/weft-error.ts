// WeftError: the one base class for every error Weft raises, carrying a stable string code.

/**
 * Every error Weft throws on purpose extends this class. `code` is stable across releases
 * (tests and operators match on it); `message` is for humans and may change.
 * Codes are namespaced by area: CONFIG_*, XDS_*, PROXY_*, CLI_*.
 */
export class WeftError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

// Logger: leveled, structured-enough logging to stderr, one line per event.

export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: number = ORDER[(process.env.WEFT_LOG_LEVEL as LogLevel) ?? "info"] ?? ORDER.info;

/** Sets the minimum level that is printed, for the whole process. */
export function setLogLevel(level: LogLevel): void {
  threshold = ORDER[level];
}

/** A named logger; `scope` prefixes every line (e.g. "ads", "proxy"). */
export class Logger {
  constructor(readonly scope: string) {}

  debug(msg: string, fields?: Record<string, unknown>): void { this.write("debug", msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.write("info", msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.write("warn", msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.write("error", msg, fields); }

  enabled(level: LogLevel): boolean {
    return ORDER[level] >= threshold;
  }

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < threshold) return;
    let line = `${new Date().toISOString()} ${level} ${this.scope} ${msg}`;
    if (fields) {
      for (const k of Object.keys(fields)) line += ` ${k}=${formatValue(fields[k])}`;
    }
    process.stderr.write(line + "\n");
  }
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return /\s/.test(v) ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v);
}

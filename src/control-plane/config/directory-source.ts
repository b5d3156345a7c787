// DirectorySource: a ConfigSource over a directory of Istio YAML, watched recursively, with last-good semantics.

import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { Logger } from "../../shared/logger.js";
import type { ConfigSnapshot, ConfigSource, ResourceKey } from "./config-resource.js";
import { ConfigStore } from "./config-store.js";
import { loadFile } from "./resource-loader.js";
import { listYamlFiles } from "./yaml-files.js";

const log = new Logger("config");

type Listener = (snapshot: ConfigSnapshot, changed: readonly ResourceKey[]) => void;

/**
 * Loads every *.yaml/*.yml below `dir` and watches it (fs.watch recursive, supported on Linux since Node 20).
 * A burst of file events is debounced (`debounceMs`, default 50) into one rescan; only files whose content
 * changed are re-validated. Listeners run synchronously after each commit that published a new snapshot
 * (valid resources or diagnostics changed); `changed` is empty when only diagnostics did.
 */
export class DirectorySource implements ConfigSource {
  private readonly store: ConfigStore;
  private readonly texts = new Map<string, string>();
  private readonly listeners: Listener[] = [];
  private readonly debounceMs: number;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescanAgain = false;
  private stopped = false;

  constructor(private readonly dir: string, opts?: { debounceMs?: number; domain?: string }) {
    this.debounceMs = opts?.debounceMs ?? 50;
    this.store = new ConfigStore({ domain: opts?.domain ?? "cluster.local" });
  }

  async start(): Promise<void> {
    this.watcher = watch(this.dir, { recursive: true }, () => this.schedule());
    this.watcher.on("error", (err) => log.warn("config directory watch failed", { dir: this.dir, err }));
    await this.rescan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    await this.scanning;
  }

  current(): ConfigSnapshot {
    return this.store.snapshot();
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.rescan();
    }, this.debounceMs);
  }

  /** Serialises scans: an event during a scan triggers exactly one more scan afterwards. */
  private rescan(): Promise<void> {
    if (this.scanning) {
      this.rescanAgain = true;
      return this.scanning;
    }
    this.scanning = this.scanOnce()
      .catch((err: unknown) => log.error("config rescan failed", { dir: this.dir, err }))
      .finally(() => {
        this.scanning = undefined;
        if (this.rescanAgain && !this.stopped) {
          this.rescanAgain = false;
          void this.rescan();
        }
      });
    return this.scanning;
  }

  private async scanOnce(): Promise<void> {
    const files = await listYamlFiles(this.dir);
    const present = new Set(files);
    for (const file of [...this.texts.keys()]) {
      if (!present.has(file)) {
        this.texts.delete(file);
        this.store.removeFile(file);
      }
    }
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch {
        continue; // removed between listing and reading; the next event rescans
      }
      if (this.texts.get(file) === text) continue;
      this.texts.set(file, text);
      this.store.setFile(loadFile(file, text));
    }
    if (this.stopped) return;
    const before = this.store.snapshot();
    const { snapshot, changed } = this.store.commit();
    if (snapshot === before) return;
    log.info("config changed", { revision: snapshot.revision, changed: changed.length, problems: snapshot.diagnostics.length });
    for (const l of this.listeners) {
      try {
        l(snapshot, changed);
      } catch (err) {
        log.error("config listener threw", { err });
      }
    }
  }
}

// DirectorySource: a ConfigSource over a directory of Istio YAML, watched recursively, with last-good semantics.

import { watch, type FSWatcher } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Logger } from "../../shared/logger.js";
import type { ConfigSnapshot, ConfigSource, ResourceKey } from "./config-resource.js";
import { ConfigStore } from "./config-store.js";
import { loadFile } from "./resource-loader.js";
import { isYamlFile, listYamlTree } from "./yaml-files.js";

const log = new Logger("config");

type Listener = (snapshot: ConfigSnapshot, changed: readonly ResourceKey[]) => void;

/**
 * Loads every *.yaml/*.yml below `dir` and watches it: one non-recursive fs.watch per directory (inotify on
 * the directory sees creates, edits, renames and deletes of its entries; Node 20's recursive mode on Linux
 * misses atomic-rename saves), re-synced with the tree after each scan, plus a safety-net check every
 * `resyncMs` (default 2000; longer on trees so large that the check itself costs more than 5% of that) that stats the files and rescans the whole tree if any changed unseen. A burst of
 * file events is debounced (`debounceMs`, default 50) into one scan that re-reads only the files the events
 * name (the whole tree at start, after the safety net fires, or when a directory comes or goes); only files
 * whose content changed are re-validated. Listeners run synchronously after each commit that published a new
 * snapshot (valid resources or diagnostics changed); `changed` is empty when only diagnostics did.
 */
export class DirectorySource implements ConfigSource {
  private readonly store: ConfigStore;
  private readonly texts = new Map<string, string>();
  private readonly listeners: Listener[] = [];
  private readonly debounceMs: number;
  private readonly watchers = new Map<string, FSWatcher>();
  /** mtime/size/inode per file as of the last scan, for the safety-net check. */
  private readonly stamps = new Map<string, string>();
  private readonly resyncMs: number;
  private resyncTimer: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private rescanAgain = false;
  private stopped = false;
  /** Paths named by watch events since the last scan; a scan reads only these unless `fullScan` is set. */
  private dirty = new Set<string>();
  /** Set at start, by the safety net and by events that name no file: the next scan walks the whole tree. */
  private fullScan = true;

  constructor(private readonly dir: string, opts?: { debounceMs?: number; resyncMs?: number; domain?: string }) {
    this.debounceMs = opts?.debounceMs ?? 50;
    this.resyncMs = opts?.resyncMs ?? 2000;
    this.store = new ConfigStore({ domain: opts?.domain ?? "cluster.local" });
  }

  async start(): Promise<void> {
    await this.rescan();
    this.scheduleResync(0);
  }

  /** The next safety-net check, spaced so that it costs at most ~5% of a core on a large tree (20 × its last cost). */
  private scheduleResync(lastCheckMs: number): void {
    if (this.stopped) return;
    this.resyncTimer = setTimeout(() => {
      const started = performance.now();
      void this.resync().finally(() => this.scheduleResync(performance.now() - started));
    }, Math.max(this.resyncMs, 20 * lastCheckMs));
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    clearTimeout(this.resyncTimer);
    if (this.timer) clearTimeout(this.timer);
    await this.scanning;
  }

  /** Watches exactly the directories of the current tree. */
  private syncWatchers(dirs: readonly string[]): void {
    const wanted = new Set(dirs);
    for (const [d, w] of this.watchers) {
      if (!wanted.has(d)) {
        w.close();
        this.watchers.delete(d);
      }
    }
    for (const d of dirs) {
      if (this.watchers.has(d)) continue;
      try {
        const w = watch(d, (_event, name) => {
          if (name) this.dirty.add(join(d, name.toString()));
          else this.fullScan = true;
          this.schedule();
        });
        w.on("error", () => {
          w.close();
          this.watchers.delete(d);
          this.schedule();
        });
        this.watchers.set(d, w);
      } catch (err) {
        log.warn("cannot watch config directory", { dir: d, err });
      }
    }
  }

  /** The safety net: rescans when a file's stamp changed, or files came or went, without an event. */
  private async resync(): Promise<void> {
    if (this.stopped || this.scanning || this.timer) return;
    try {
      const { files } = await listYamlTree(this.dir);
      let changed = files.length !== this.stamps.size;
      for (const f of files) {
        if (changed) break;
        changed = this.stamps.get(f) !== (await stampOf(f));
      }
      if (changed) {
        log.debug("config change found by periodic check", { dir: this.dir });
        this.fullScan = true;
        this.schedule();
      }
    } catch {
      this.fullScan = true;
      this.schedule();
    }
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
    const dirty = this.dirty;
    this.dirty = new Set();
    if (this.fullScan) {
      this.fullScan = false;
      await this.scanTree();
    } else if (!(await this.scanPaths(dirty))) {
      await this.scanTree();
    }
    if (this.stopped) return;
    this.publish();
  }

  /**
   * Re-reads only the paths watch events named (a save of one file among thousands costs one read).
   * Returns false when the tree's shape may have changed (a directory came or went): walk it all then.
   */
  private async scanPaths(paths: ReadonlySet<string>): Promise<boolean> {
    for (const path of paths) {
      if (basename(path).startsWith(".")) continue;
      let isDir = false;
      try {
        isDir = (await stat(path)).isDirectory();
      } catch {
        if (this.watchers.has(path)) return false; // a watched directory is gone
        if (this.texts.has(path)) this.forget(path);
        continue;
      }
      if (isDir) return false;
      if (isYamlFile(path)) await this.readOne(path);
    }
    return true;
  }

  private async scanTree(): Promise<void> {
    const { files, dirs } = await listYamlTree(this.dir);
    if (!this.stopped) this.syncWatchers(dirs);
    const present = new Set(files);
    for (const file of [...this.texts.keys()]) if (!present.has(file)) this.forget(file);
    for (const file of files) await this.readOne(file);
  }

  /** Reads one file; re-validates it only when its text changed. A file that vanished meanwhile is forgotten. */
  private async readOne(file: string): Promise<void> {
    let text: string;
    try {
      this.stamps.set(file, await stampOf(file));
      text = await readFile(file, "utf8");
    } catch {
      this.forget(file);
      return;
    }
    if (this.texts.get(file) === text) return;
    this.texts.set(file, text);
    this.store.setFile(loadFile(file, text));
  }

  private forget(file: string): void {
    this.texts.delete(file);
    this.stamps.delete(file);
    this.store.removeFile(file);
  }

  private publish(): void {
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

async function stampOf(file: string): Promise<string> {
  const st = await stat(file);
  return `${st.mtimeMs}:${st.size}:${st.ino}`;
}

// FilterManager: runs one request's HTTP filter chain (decode in order, encode in reverse) and owns resumption.

import { FilterStatus, type HttpFilter, type HttpFilterCallbacks, type HttpFilterFactory } from "../filters/http-filter.js";
import type { RequestHead } from "./request-head.js";
import type { ResponseHead } from "./response-head.js";
import type { StreamInfo } from "./stream-info.js";
import type { RouteEntry } from "../router/route-entry.js";
import type { Cluster } from "../upstream/cluster.js";

/** What the FilterManager needs from its stream: where decoding ends (the router) and how to reply locally. */
export interface FilterManagerStream {
  readonly streamInfo: StreamInfo;
  /** All decoder filters continued: route and forward. */
  decodingComplete(): void;
  sendLocalReply(status: number, body: string, responseFlags: number, extraHeaders?: string[]): void;
  /** The matched route (cached after the first call). */
  route(): RouteEntry | undefined;
  /** A cluster of the proxy by name. */
  cluster?(name: string): Cluster | undefined;
}

/** Created per request only when the HCM has filters before the router. */
export class FilterManager implements HttpFilterCallbacks {
  private readonly filters: HttpFilter[];
  private next = 0;
  private head: RequestHead | undefined;
  private endStream = false;
  private stopped = false;
  private done = false;

  constructor(factories: readonly HttpFilterFactory[], private readonly stream: FilterManagerStream) {
    this.filters = new Array<HttpFilter>(factories.length);
    for (let i = 0; i < factories.length; i++) this.filters[i] = factories[i].create(this);
  }

  get streamInfo(): StreamInfo { return this.stream.streamInfo; }

  decodeHeaders(head: RequestHead, endStream: boolean): void {
    this.head = head;
    this.endStream = endStream;
    this.iterate();
  }

  continueDecoding(): void {
    if (!this.stopped || this.done) return;
    this.stopped = false;
    this.iterate();
  }

  sendLocalReply(status: number, body: string, responseFlags = 0, headers?: string[]): void {
    if (this.done) return;
    this.done = true;
    this.stream.sendLocalReply(status, body, responseFlags, headers);
  }

  route(): RouteEntry | undefined { return this.stream.route(); }

  cluster(name: string): Cluster | undefined { return this.stream.cluster?.(name); }

  encodeHeaders(head: ResponseHead, endStream: boolean): void {
    for (let i = this.filters.length - 1; i >= 0; i--) this.filters[i].encodeHeaders?.(head, endStream);
  }

  onStreamComplete(): void {
    this.done = true;
    for (const f of this.filters) f.onStreamComplete?.();
  }

  private iterate(): void {
    const head = this.head!;
    while (this.next < this.filters.length) {
      const f = this.filters[this.next++];
      if (f.decodeHeaders && f.decodeHeaders(head, this.endStream) === FilterStatus.StopIteration) {
        this.stopped = true;
        return;
      }
      if (this.done) return;
    }
    this.done = true;
    this.stream.decodingComplete();
  }
}

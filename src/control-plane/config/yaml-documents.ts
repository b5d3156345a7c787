// Multi-document YAML parsing that keeps each document's start line and can locate the line of a field path.

import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Document, type Node } from "yaml";
import type { FieldPath } from "./field-path.js";

/** A YAML syntax problem inside one document, with its 1-based line. */
export interface YamlProblem {
  line: number;
  message: string;
}

/** One document of a YAML stream. `value` is the plain JS value (undefined for an empty document). */
export interface YamlDocument {
  /** 0-based position of the document in its file. */
  readonly index: number;
  /** 1-based line of the document's first content (or of its `---` when empty). */
  readonly line: number;
  readonly value: unknown;
  /** Syntax errors; when non-empty `value` must not be trusted. */
  readonly errors: readonly YamlProblem[];
  /** 1-based line of the deepest node along `path` that exists (the document line when none does). */
  lineOf(path: FieldPath): number;
}

/**
 * Parses every document of `text`. Never throws: syntax errors are attached to the document they belong to,
 * and the parser keeps separating documents at `---` so later documents still load.
 */
export function parseYamlDocuments(text: string): YamlDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // parseAllDocuments returns an EmptyStream (array-like, length 0) for blank input.
  const list = Array.isArray(docs) ? docs : [];
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const out: YamlDocument[] = [];
  list.forEach((doc: Document.Parsed, index) => {
    const contents = doc.contents as Node | null;
    const start = contents?.range ? contents.range[0] : doc.range[0];
    const line = lineAt(start);
    const errors = doc.errors.map((e) => ({ line: lineAt(e.pos[0]), message: firstLine(e.message) }));
    let value: unknown;
    if (errors.length === 0) {
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (err) {
        errors.push({ line, message: (err as Error).message });
      }
    }
    out.push({ index, line, value, errors, lineOf: (path) => findLine(contents, path, line, lineAt) });
  });
  return out;
}

function firstLine(msg: string): string {
  const i = msg.indexOf("\n");
  return i < 0 ? msg : msg.slice(0, i);
}

function findLine(root: Node | null, path: FieldPath, fallback: number, lineAt: (o: number) => number): number {
  let node: unknown = root;
  let line = fallback;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return line;
      const key = pair.key as Node;
      if (key.range) line = lineAt(key.range[0]);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (!item) return line;
      if (item.range) line = lineAt(item.range[0]);
      node = item;
    } else {
      return line;
    }
  }
  return line;
}

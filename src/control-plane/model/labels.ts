// Label selection: a selector matches when every one of its labels is present with the same value.

/** True when every key of `selector` is in `labels` with an equal value (an empty selector matches everything). */
export function selectorMatches(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const k in selector) {
    if (labels[k] !== selector[k]) return false;
  }
  return true;
}

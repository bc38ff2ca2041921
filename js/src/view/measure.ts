// Element sizes as the ResizeObserver last reported them, so drawing a frame reads no
// layout (reading clientWidth after a DOM write forces a synchronous reflow).

export interface Size {
  widthPx: number;
  heightPx: number;
}

const sizes = new WeakMap<Element, Size>();

export function sizeOf(el: Element): Size {
  let s = sizes.get(el);
  if (!s) {
    s = { widthPx: el.clientWidth, heightPx: el.clientHeight };
    if (s.widthPx > 0) sizes.set(el, s); // not laid out yet: ask again next time
  }
  return s;
}

/** Keep the sizes of `els` current; `onChange` runs after any of them changed. Returns a stop. */
export function observeSizes(els: Element[], onChange: () => void): () => void {
  if (typeof ResizeObserver === "undefined") return () => {};
  const ro = new ResizeObserver((entries) => {
    for (const e of entries) sizes.set(e.target, { widthPx: e.contentRect.width, heightPx: e.contentRect.height });
    onChange();
  });
  for (const el of els) ro.observe(el);
  return () => ro.disconnect();
}

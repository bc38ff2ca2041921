// Tiny DOM helpers. User text goes in through textContent only, never as markup.

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls = "", text = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text) node.textContent = text;
  return node;
}

/** Set text only when it changed (cheap to call every frame). */
export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

export function setTitle(node: HTMLElement, title: string): void {
  if (node.title !== title) node.title = title;
}

export function button(
  cls: string,
  text: string,
  title: string,
  onClick: () => void,
  signal: AbortSignal,
): HTMLButtonElement {
  const b = el("button", cls, text);
  b.type = "button";
  b.title = title;
  b.addEventListener("click", onClick, { signal });
  return b;
}

export function show(node: HTMLElement, visible: boolean): void {
  const d = visible ? "" : "none";
  if (node.style.display !== d) node.style.display = d;
}

export function option(text: string, value: string): HTMLOptionElement {
  const o = el("option", "", text);
  o.value = value;
  return o;
}

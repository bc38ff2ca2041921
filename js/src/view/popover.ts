// Menus and sheets that open over the viewer: placed inside the viewer's own box (the
// notebook's output area clips anything that leaves it) and above everything in it,
// opened by a real click on their button, closed by Escape, by a click elsewhere, or by
// the button again. Placement is a pure function so that it can be tested.

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

const GAP_PX = 4;

/**
 * Where a panel of `panel` size goes under `anchor`, in coordinates relative to `box` (the
 * viewer): right-aligned with the anchor, shifted to stay inside the box, and no taller
 * than the room under the anchor (it scrolls inside).
 */
export function placeBelow(anchor: Rect, panel: { width: number; height: number }, box: Rect): Rect {
  const width = Math.min(panel.width, box.width - 2 * GAP_PX);
  const right = anchor.left + anchor.width - box.left;
  const left = Math.max(GAP_PX, Math.min(right - width, box.width - width - GAP_PX));
  let top = anchor.top + anchor.height - box.top + GAP_PX;
  let height = Math.min(panel.height, box.height - top - GAP_PX);
  if (height < Math.min(panel.height, 120)) {
    // too little room under the anchor (a short viewer): use the whole box's height
    top = GAP_PX;
    height = Math.min(panel.height, box.height - 2 * GAP_PX);
  }
  return { left, top, width, height: Math.max(0, height) };
}

const rectOf = (e: Element): Rect => {
  const r = e.getBoundingClientRect();
  return { left: r.left, top: r.top, width: r.width, height: r.height };
};

export interface Popover {
  readonly isOpen: boolean;
  open(): void;
  close(): void;
  toggle(): void;
}

/** `panel` opens under `button`, inside `box`; `onChange` hears it open and close. */
export function popover(
  button: HTMLElement,
  panel: HTMLElement,
  box: HTMLElement,
  signal: AbortSignal,
  onChange: (open: boolean) => void = () => {},
): Popover {
  let isOpen = false;
  panel.hidden = true;
  panel.classList.add("mgd-popover");
  button.setAttribute("aria-haspopup", "true");
  button.setAttribute("aria-expanded", "false");
  const place = () => {
    panel.style.maxHeight = "";
    const natural = { width: panel.scrollWidth, height: panel.scrollHeight };
    const at = placeBelow(rectOf(button), natural, rectOf(box));
    panel.style.left = `${at.left}px`;
    panel.style.top = `${at.top}px`;
    panel.style.maxHeight = `${at.height}px`;
  };
  const set = (open: boolean) => {
    if (open === isOpen) return;
    isOpen = open;
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    button.classList.toggle("mgd-on", open);
    if (open) place();
    onChange(open);
  };
  button.addEventListener("click", () => set(!isOpen), { signal });
  // a press anywhere else closes it (the press still does what it does there)
  const onPointerDown = (e: PointerEvent) => {
    const t = e.target as Node;
    if (isOpen && !panel.contains(t) && !button.contains(t)) set(false);
  };
  document.addEventListener("pointerdown", onPointerDown, { signal, capture: true });
  panel.addEventListener(
    "keydown",
    (e) => {
      if (e.key !== "Escape") return;
      e.stopPropagation();
      set(false);
      button.focus();
    },
    { signal },
  );
  if (typeof ResizeObserver !== "undefined") {
    const ro = new ResizeObserver(() => isOpen && place());
    ro.observe(box);
    signal.addEventListener("abort", () => ro.disconnect());
  }
  return {
    get isOpen() {
      return isOpen;
    },
    open: () => set(true),
    close: () => set(false),
    toggle: () => set(!isOpen),
  };
}

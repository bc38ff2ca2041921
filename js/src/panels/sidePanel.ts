// The column beside the graph: the call path, the breakpoint list and the inspector, each
// a section whose title folds it. The splitter between graph and column drags to resize
// it (or ←/→ while it has focus); its button, or the `i` key, hides and shows the column.

import { el, show } from "../view/dom";

const MIN_SIDE_PX = 170;
const MIN_GRAPH_PX = 220;

/** The column's width: what the user dragged to, else ~30% of the viewer, within bounds. */
export function sideWidth(mainPx: number, chosenPx: number | null): number {
  const want = chosenPx ?? Math.round(Math.min(320, Math.max(190, 0.3 * mainPx)));
  return Math.max(Math.min(MIN_SIDE_PX, mainPx / 2), Math.min(want, mainPx - MIN_GRAPH_PX));
}

export interface SidePanel {
  root: HTMLElement;
  splitter: HTMLElement;
  toggle(open?: boolean): void;
  layout(mainPx: number): void; // the main row's width changed
  reveal(body: HTMLElement): void; // scroll a short column to that section
}

export function createSidePanel(sections: [string, HTMLElement, boolean][], signal: AbortSignal): SidePanel {
  const root = el("div", "mgd-side");
  for (const [title, body, grow] of sections) {
    const section = el("section", `mgd-section${grow ? " mgd-grow" : ""}`);
    const head = el("button", "mgd-section-head", `▾ ${title}`);
    head.type = "button";
    head.title = `fold or unfold ${title.toLowerCase()}`;
    head.setAttribute("aria-expanded", "true");
    head.addEventListener(
      "click",
      () => {
        const open = head.getAttribute("aria-expanded") !== "true";
        head.setAttribute("aria-expanded", String(open));
        head.textContent = `${open ? "▾" : "▸"} ${title}`;
        section.classList.toggle("mgd-folded", !open);
        show(body, open);
      },
      { signal },
    );
    body.classList.add("mgd-section-body");
    section.append(head, body);
    root.append(section);
  }

  const splitter = el("div", "mgd-splitter");
  splitter.setAttribute("role", "separator");
  splitter.setAttribute("aria-orientation", "vertical");
  splitter.setAttribute("aria-label", "resize the side panel");
  splitter.tabIndex = 0;
  splitter.title = "drag to resize the side panel (or ← → while focused)";
  const hide = el("button", "mgd-btn mgd-mini mgd-sidetoggle", "›");
  hide.type = "button";
  splitter.append(hide);

  let open = true;
  let chosenPx: number | null = null;
  let mainPx = 0;
  const apply = () => {
    show(root, open);
    splitter.classList.toggle("mgd-closed", !open);
    hide.textContent = open ? "›" : "‹";
    hide.title = open ? "hide the side panel (i)" : "show the call path, breakpoints and inspector (i)";
    hide.setAttribute("aria-label", hide.title);
    const w = sideWidth(mainPx || 800, chosenPx);
    root.style.flexBasis = `${w}px`;
    root.style.width = `${w}px`;
    splitter.setAttribute("aria-valuenow", String(w));
  };
  const toggle = (want = !open) => {
    open = want;
    apply();
  };
  hide.addEventListener("click", () => toggle(), { signal });
  hide.addEventListener("pointerdown", (e) => e.stopPropagation(), { signal }); // a click, not a drag

  let drag: { x: number; w: number } | null = null;
  splitter.addEventListener(
    "pointerdown",
    (e) => {
      if (!open || e.button !== 0) return;
      drag = { x: e.clientX, w: root.getBoundingClientRect().width };
      try {
        splitter.setPointerCapture?.(e.pointerId);
      } catch {
        // a synthetic or already released pointer: the drag still follows inside the splitter
      }
      e.preventDefault();
    },
    { signal },
  );
  splitter.addEventListener(
    "pointermove",
    (e) => {
      if (!drag) return;
      chosenPx = sideWidth(mainPx, drag.w - (e.clientX - drag.x));
      apply();
    },
    { signal },
  );
  const end = () => (drag = null);
  splitter.addEventListener("pointerup", end, { signal });
  splitter.addEventListener("pointercancel", end, { signal });
  splitter.addEventListener(
    "keydown",
    (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
      e.preventDefault();
      e.stopPropagation();
      const w = root.getBoundingClientRect().width || sideWidth(mainPx, chosenPx);
      chosenPx = sideWidth(mainPx, w + (e.key === "ArrowLeft" ? 24 : -24));
      apply();
    },
    { signal },
  );
  apply();
  return {
    root,
    splitter,
    toggle,
    layout: (px: number) => {
      if (px <= 0 || px === mainPx) return;
      mainPx = px;
      apply();
    },
    // a short column scrolls as a whole (widget.css): bring the section's head to its top
    // unless the section is in view already; a tall one has nothing to scroll
    reveal: (body: HTMLElement) => {
      const section = body.parentElement;
      if (!open || !section || root.scrollHeight <= root.clientHeight) return;
      const box = root.getBoundingClientRect();
      const sec = section.getBoundingClientRect();
      const inView = sec.top >= box.top && Math.min(sec.bottom, sec.top + 120) <= box.bottom;
      if (!inView) root.scrollTop += sec.top - box.top;
    },
  };
}

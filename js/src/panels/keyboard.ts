// The viewer's keys, while it has focus: ←/→ one event, Shift+←/→ the previous / next
// breakpoint hit (or the selected node's event), Home/End, space to play, F to fit.
// Keys typed into the viewer's inputs stay there, away from the notebook's shortcuts.

import type { Actions } from "../state";

export function onKeyDown(e: KeyboardEvent, a: Pick<Actions, "stepBy" | "jump" | "togglePlay" | "fit">): void {
  const target = e.target as HTMLElement;
  if (target.closest?.("input,select,textarea")) {
    e.stopPropagation(); // typing in the search box must not reach notebook shortcuts
    return;
  }
  const handled = (f: () => void) => {
    e.preventDefault();
    e.stopPropagation();
    f();
  };
  if (e.key === "ArrowRight") handled(() => (e.shiftKey ? a.jump(1) : a.stepBy(1)));
  else if (e.key === "ArrowLeft") handled(() => (e.shiftKey ? a.jump(-1) : a.stepBy(-1)));
  else if (e.key === "Home") handled(() => a.stepBy(-Infinity));
  else if (e.key === "End") handled(() => a.stepBy(Infinity));
  else if (e.key === " " && !target.closest?.("button,summary")) handled(() => a.togglePlay());
  else if ((e.key === "f" || e.key === "F") && !e.ctrlKey && !e.metaKey) handled(() => a.fit());
}

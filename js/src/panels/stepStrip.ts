// The step strip: the training views under the timeline. With a training loop (two or
// more backward passes) it holds the loss curve (lossChart.ts) and the parameter explorer
// (paramExplorer.ts), and ⇕ makes it tall; a cell with no training loop gets one line
// with its root's value instead of a one-point "curve".

import type { Mark } from "../perf";
import type { Actions, State } from "../state";
import { button, el, setText, show } from "../view/dom";
import { fmt4 } from "../view/format";
import { nodeName } from "../view/names";
import { createLossChart, lossesOf } from "./lossChart";
import { createParamExplorer } from "./paramExplorer";

const LOSS_KEYS: (keyof State | "*")[] = ["*", "meta", "stepIndex", "liveLosses", "status"];

export function createSteps(
  a: Actions,
  signal: AbortSignal,
  mark: Mark = () => {},
): { root: HTMLElement; boxes: HTMLElement[]; draw: (s: State, changed: ReadonlySet<keyof State | "*">) => void } {
  const root = el("div", "mgd-steps");
  const loss = createLossChart(a, signal, mark);
  const params = createParamExplorer(a, signal, mark);
  const note = el("div", "mgd-single-note");
  const tall = button(
    "mgd-btn mgd-mini",
    "⇕",
    "a taller strip: more parameter rows and a bigger loss curve",
    () => {
      root.classList.toggle("mgd-tall");
      setText(tall, root.classList.contains("mgd-tall") ? "⇣" : "⇕");
    },
    signal,
  );
  params.root.querySelector(".mgd-params-head")?.append(tall);
  root.append(loss.root, params.root, note);
  (root as HTMLElement & { mgdebugParams?: unknown }).mgdebugParams = params.geometry; // for tests

  const draw = (s: State, changed: ReadonlySet<keyof State | "*">) => {
    const steps = s.meta?.steps ?? [];
    const backward = steps.filter((st) => st.has_backward).length;
    const training = !!s.status.recording || backward >= 2 || lossesOf(s).length >= 2;
    root.classList.toggle("mgd-single", !training);
    show(loss.root, training);
    show(params.root, training && !!s.params?.names.length);
    show(note, !training);
    if (!training) {
      const v = s.view;
      const text = !steps.length
        ? ""
        : !backward
          ? "no backward ran in this cell: nothing to plot over steps"
          : v && v.root >= 0 && s.meta
            ? `one backward pass, no training loop: root ${nodeName(s, v.root)} = ${fmt4(v.g.data[v.root])}`
            : `one backward pass, no training loop: loss ${steps[0]?.loss ?? "n/a"}`;
      setText(note, text);
      return;
    }
    if (LOSS_KEYS.some((k) => changed.has(k))) loss.draw(s); // not on every cursor move
    params.draw(s, changed);
    const st = s.meta?.steps[s.stepIndex];
    root.title = st && !st.kept ? `step ${st.index} is kept as a summary only (loss, parameters)` : "";
  };
  return { root, boxes: [loss.root, params.root.querySelector(".mgd-params-body") as HTMLElement], draw };
}

// The lines under the step strip: where the first non-finite value was born (with a
// button that goes there) and the latest notice or error, each hidden when empty.

import type { Actions, State } from "../state";
import { button, el } from "../view/dom";

export function createNotices(
  a: Actions,
  getState: () => State,
  signal: AbortSignal,
): { parts: HTMLElement[]; draw: (s: State) => void } {
  const notice = el("div", "mgd-notice");
  const anomaly = el("div", "mgd-anomaly");
  const anomalyText = el("span");
  const onGo = () => {
    const s = getState();
    const bad = s.anomaly;
    if (!bad) return;
    a.seek(bad.event);
    if (bad.node >= 0 && getState().view?.step === bad.step) a.select(bad.node);
  };
  anomaly.append(button("mgd-btn mgd-mini", "go", "move the cursor where it was born", onGo, signal), anomalyText);

  const draw = (s: State) => {
    notice.textContent = s.notice || s.status.error || errorText(s);
    notice.style.display = notice.textContent ? "" : "none";
    const bad = s.anomaly;
    anomalyText.textContent = bad
      ? `first non-finite value: ${bad.what ?? `node #${bad.node}`} (step ${bad.step}, ${bad.phase})`
      : "";
    anomaly.style.display = bad ? "" : "none";
  };
  return { parts: [anomaly, notice], draw };
}

function errorText(s: State): string {
  const e = s.meta?.error;
  return e ? `the traced code raised ${e.type}: ${e.message}` : "";
}

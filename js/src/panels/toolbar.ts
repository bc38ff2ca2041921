// The toolbar: play / pause with speed, stepping through events, the step selector, the
// cursor readout, the recording status (with Stop), search by label, fit, and the ⚙ and ?
// buttons. It wraps onto a second row rather than hide anything in a narrow output area;
// while a cell is paused, the debugger's own row (pauseBar.ts) sits under it.

import type { Actions, State } from "../state";
import { button, el, option, setText, setTitle, show } from "../view/dom";
import { fmtCount, fmtInt } from "../view/format";

const SPEEDS = [10, 100, 1000, 10000, 100000];

export interface Toolbar {
  root: HTMLElement;
  search: HTMLInputElement;
  draw: (s: State) => void;
}

/** `trailing`: buttons at the toolbar's end (⚙, ?), made by their own panels. */
export function createToolbar(a: Actions, trailing: HTMLElement[], signal: AbortSignal): Toolbar {
  const root = el("div", "mgd-toolbar");
  root.setAttribute("role", "toolbar");
  root.setAttribute("aria-label", "trace viewer");
  const on = <K extends keyof HTMLElementEventMap>(n: HTMLElement, ev: K, f: (e: HTMLElementEventMap[K]) => void) =>
    n.addEventListener(ev, f, { signal });

  // replay controls (hidden while paused: the debugger's row has the buttons that matter then)
  const replay = el("span", "mgd-group");
  const play = button("mgd-btn mgd-play", "▶", "play / pause (Space)", () => a.togglePlay(), signal);
  const speed = el("select", "mgd-select");
  speed.title = "playback speed (events per second)";
  for (const v of SPEEDS) speed.append(option(`${fmtCount(v)}/s`, String(v)));
  on(speed, "change", () => a.setOptions({ speed: Number(speed.value) }));
  replay.append(play, speed);
  const stepping = el("span", "mgd-group");
  stepping.append(
    button("mgd-btn", "⇤", "jump to the step's first event (Home)", () => a.stepBy(-Infinity), signal),
    button("mgd-btn", "◀", "one event back (←)", () => a.stepBy(-1), signal),
    button("mgd-btn", "▶|", "one event forward (→)", () => a.stepBy(1), signal),
    button("mgd-btn", "⇥", "jump to the step's last event (End)", () => a.stepBy(Infinity), signal),
  );

  const stepSel = el("select", "mgd-select mgd-step");
  stepSel.title = "training step";
  on(stepSel, "change", () => a.loadStep(Number(stepSel.value)));
  const readout = el("span", "mgd-readout");
  const recording = el("span", "mgd-group mgd-recording");
  const recText = el("span");
  recording.append(
    recText,
    button(
      "mgd-btn mgd-mini mgd-danger",
      "■ Stop",
      "stop the running cell; the trace keeps what ran",
      () => a.command("stop"),
      signal,
    ),
  );

  const find = el("span", "mgd-group mgd-find");
  const search = el("input", "mgd-search");
  search.type = "search";
  search.placeholder = "find label…";
  search.title = "find nodes by label (/): Enter for the next match, Shift+Enter for the previous";
  search.setAttribute("aria-label", "find nodes by label");
  const hits = el("span", "mgd-hits");
  on(search, "keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      a.search(search.value, e.shiftKey ? -1 : 1);
    }
  });
  find.append(search, hits);
  const end = el("span", "mgd-group");
  end.append(
    button("mgd-btn", "⤢", "fit the graph to the view (F)", () => a.fit(), signal),
    ...trailing,
  );

  root.append(replay, stepping, stepSel, readout, recording, el("span", "mgd-spacer"), find, end);

  let stepsKey = "";
  const draw = (s: State) => {
    const pausedLive = Object.keys(s.paused).length > 0;
    show(replay, !pausedLive);
    setText(play, s.playing ? "❚❚" : "▶");
    if (speed.value !== String(s.speed)) speed.value = String(s.speed);

    const steps = s.meta?.steps ?? [];
    const key = steps.map((st) => (st.kept ? 1 : 0)).join("");
    if (key !== stepsKey) {
      stepsKey = key;
      stepSel.replaceChildren(
        ...steps.map((st) =>
          option(`step ${st.index}/${steps.length}${st.kept ? "" : " (summary)"}`, String(st.index)),
        ),
      );
    }
    if (stepSel.value !== String(s.stepIndex)) stepSel.value = String(s.stepIndex);
    show(stepSel, steps.length > 0);

    const v = s.view;
    if (v) {
      const phase = v.phase === "forward" ? "forward" : v.visitsDone ? "backward" : "backward begins";
      setText(readout, `t = ${fmtInt(v.event)} / ${fmtInt(v.numEvents)}  ${phase}  step ${v.step}/${steps.length}`);
      setTitle(
        readout,
        `event ${fmtInt(v.eventOffset + v.event)} of the whole trace; step ${v.step} has ${fmtInt(v.nCreated)} nodes built, ${fmtInt(v.replay?.numVisits ?? 0)} chain rules`,
      );
    } else setText(readout, s.status.recording ? "" : s.loading);
    const rec = !!s.status.recording && !pausedLive;
    setText(
      recText,
      rec ? `● recording… step ${fmtInt(s.status.steps ?? 0)}, ${fmtCount(s.status.nodes ?? 0)} nodes` : "",
    );
    show(recording, rec);
    setText(hits, s.search ? (s.matches.length ? `${s.matchIndex + 1}/${s.matches.length}` : "no match") : "");
    show(hits, !!s.search);
  };
  return { root, search, draw };
}

// The toolbar: play / pause with speed, stepping, the step selector, the cursor readout,
// search by label, settings, the live Continue / Step / Stop and the recording status
// (whether the running cell hears this viewer; Stop only where it does).

import type { Actions, ColorMode, State } from "../state";
import { button, el, option, setText, setTitle, show } from "../view/dom";
import { fmtCount, fmtInt } from "../view/format";

const SPEEDS = [10, 100, 1000, 10000, 100000];

export function createToolbar(a: Actions, signal: AbortSignal): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-toolbar");
  const on = <K extends keyof HTMLElementEventMap>(n: HTMLElement, ev: K, f: (e: HTMLElementEventMap[K]) => void) =>
    n.addEventListener(ev, f, { signal });

  // replay controls
  const replay = el("span", "mgd-group");
  const play = button("mgd-btn mgd-play", "▶", "play / pause (space)", () => a.togglePlay(), signal);
  const speed = el("select", "mgd-select");
  speed.title = "playback speed (events per second)";
  for (const v of SPEEDS) speed.append(option(`${fmtCount(v)}/s`, String(v)));
  on(speed, "change", () => a.setOptions({ speed: Number(speed.value) }));
  replay.append(
    play,
    speed,
    button("mgd-btn", "⇤", "jump to the step's first event (Home)", () => a.stepBy(-Infinity), signal),
    button("mgd-btn", "◀", "one event back (←)", () => a.stepBy(-1), signal),
    button("mgd-btn", "▶|", "one event forward (→)", () => a.stepBy(1), signal),
    button("mgd-btn", "⇥", "jump to the step's last event (End)", () => a.stepBy(Infinity), signal),
  );

  // live breakpoint: these replace the replay controls while the kernel is paused
  const live = el("span", "mgd-group mgd-live");
  const reason = el("span", "mgd-reason");
  live.append(
    button("mgd-btn mgd-primary", "▶ Continue", "resume the running cell", () => a.command("continue"), signal),
    button("mgd-btn", "Step", "run one more chain rule, then pause again", () => a.command("step"), signal),
    button("mgd-btn mgd-danger", "■ Stop", "stop the running cell", () => a.command("stop"), signal),
    reason,
  );
  show(live, false); // until the first draw says the kernel is paused (no flash of Continue)

  const stepSel = el("select", "mgd-select mgd-step");
  stepSel.title = "training step";
  on(stepSel, "change", () => a.loadStep(Number(stepSel.value)));
  const readout = el("span", "mgd-readout");
  const recording = el("span", "mgd-recording");
  const mode = el("span", "mgd-mode");
  const stopRun = button(
    "mgd-btn mgd-danger",
    "■ Stop",
    "stop the running cell; the trace keeps what ran",
    () => a.command("stop"),
    signal,
  );

  // search
  const search = el("input", "mgd-search");
  search.type = "search";
  search.placeholder = "find label…";
  search.title = "find nodes by label: Enter for the next match, Shift+Enter for the previous";
  const hits = el("span", "mgd-hits");
  on(search, "keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      a.search(search.value, e.shiftKey ? -1 : 1);
    }
  });

  // settings
  const settings = el("details", "mgd-settings");
  const summary = el("summary", "mgd-btn", "⚙");
  summary.title = "view settings";
  const panel = el("div", "mgd-panel");
  const color = el("select", "mgd-select");
  for (const [v, t] of [
    ["grad", "colour by |grad|"],
    ["value", "colour by value"],
    ["sign", "colour by sign of grad"],
  ])
    color.append(option(t, v));
  on(color, "change", () => a.setOptions({ colorMode: color.value as ColorMode }));
  const check = (label: string, key: "showOps" | "bySample" | "showPath") => {
    const row = el("label", "mgd-check");
    const box = el("input");
    box.type = "checkbox";
    on(box, "change", () => a.setOptions({ [key]: box.checked }));
    row.append(box, document.createTextNode(` ${label}`));
    return { row, box };
  };
  const ops = check("show op nodes", "showOps");
  const bySample = check("one group per sample (call)", "bySample");
  const path = check("highlight path to loss", "showPath");
  const bp = el("input", "mgd-search mgd-bp");
  bp.placeholder = "breakpoints: op:tanh, grad>10, w.*";
  bp.title = "breakpoint specs, comma separated (docs/breakpoints.md); Enter applies. Shift+←/→ jumps between hits";
  on(bp, "keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    a.setBreakpoints(
      bp.value
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    );
  });
  panel.append(
    color,
    ops.row,
    bySample.row,
    path.row,
    bp,
    button("mgd-btn", "expand all", "open every group (slow for huge steps)", () => a.expandAll(true), signal),
    button("mgd-btn", "collapse all", "back to the grouped view", () => a.expandAll(false), signal),
  );
  settings.append(summary, panel);
  const fit = button("mgd-btn", "⤢", "fit the graph to the view (F)", () => a.fit(), signal);

  root.append(
    replay,
    live,
    stepSel,
    readout,
    recording,
    mode,
    stopRun,
    el("span", "mgd-spacer"),
    search,
    hits,
    fit,
    settings,
  );

  let stepsKey = "";
  const draw = (s: State) => {
    const pausedLive = !!s.paused.reason || Object.keys(s.paused).length > 0;
    show(replay, !pausedLive);
    show(live, pausedLive);
    setText(reason, pausedLive ? `paused: ${s.paused.reason ?? "breakpoint"}` : "");
    setText(play, s.playing ? "❚❚" : "▶");
    if (speed.value !== String(s.speed)) speed.value = String(s.speed);
    if (color.value !== s.colorMode) color.value = s.colorMode;
    ops.box.checked = s.showOps;
    bySample.box.checked = s.bySample;
    path.box.checked = s.showPath;
    if (document.activeElement !== bp) bp.value = s.breakpoints.join(", ");

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
    const rec = s.status.recording;
    setText(
      recording,
      rec ? `● recording… step ${fmtInt(s.status.steps ?? 0)}, ${fmtCount(s.status.nodes ?? 0)} nodes` : "",
    );
    setTitle(recording, recording.textContent ?? ""); // whole, when a narrow toolbar cuts it
    show(recording, !!rec);
    // the kernel says whether the running cell hears us (mgdebug/_kernels.py)
    const heard = !!rec && s.status.live === true;
    const unheard = !!rec && s.status.live === false;
    setText(mode, heard ? "live" : unheard ? "record-only" : "");
    setTitle(
      mode,
      heard
        ? "the running cell hears this viewer: breakpoints pause here, Stop ends the cell"
        : `breakpoints are recorded as hits, not paused: ${s.status.live_note ?? ""}`,
    );
    show(mode, heard || unheard);
    show(stopRun, heard && !pausedLive);
    setText(hits, s.search ? (s.matches.length ? `${s.matchIndex + 1}/${s.matches.length}` : "no match") : "");
  };
  return { root, draw };
}

// The viewer's single state object. It changes only through `update(patch)`, which
// schedules one redraw per animation frame however many updates came in between.

import type { CompareQuantity, Comparison } from "./data/comparison";
import type { ParamTable } from "./data/params";
import type { Anomaly, Hit, LiveHit, Paused, Status, TraceMeta } from "./data/protocol";
import type { StepView } from "./data/stepView";
import type { ViewLayout } from "./layout/compose";
import type { GroupTree } from "./layout/groupTree";
import type { Camera } from "./view/camera";

export type ColorMode = "grad" | "value" | "sign" | "delta"; // delta: shown minus the compared step

/** What the shown step is compared with: a step of this trace, or of the other one. */
export interface CompareTarget {
  trace: "this" | "other";
  step: number;
}

export interface State {
  meta: TraceMeta | null;
  status: Status;
  paused: Paused;
  stepIndex: number; // the step shown (the `step` trait)
  view: StepView | null; // its data, once loaded
  // what to do once the step asked for arrives (control/navigator.ts)
  pendingCursor: number | null; // move the cursor here
  pendingLabel: string | null; // select the node with this label
  pendingNode: number; // select this node, -1 for none
  loading: string; // what we are waiting for, "" when idle
  notice: string; // the latest error or note to show, "" for none
  cursor: number; // event t over the whole trace (the `cursor` trait, -1 resolved)
  selected: number; // node id in the shown step, -1 for none
  selectedGroup: number; // group id when a group box is selected, -1 for none
  tree: GroupTree | null;
  layout: ViewLayout | null;
  expanded: string[] | null; // keys of open groups; null = the default
  pages: Record<string, number>; // group key -> the call or instance a repeated group shows
  camera: Camera;
  fitPending: boolean; // fit the picture once the next layout arrives
  focusNode: number; // centre this node once a layout shows it, -1 for none
  colorMode: ColorMode;
  showOps: boolean;
  bySample: boolean;
  showPath: boolean; // highlight the path from the selected node to the loss
  path: Uint8Array | null; // nodes on that path
  playing: boolean;
  speed: number; // events per second while playing
  search: string;
  matches: number[]; // nodes whose label matches, in id order
  matchIndex: number;
  params: ParamTable | null;
  heatmapMode: "value" | "grad" | "update" | "norm"; // what the parameter cells show
  liveLosses: (number | null)[]; // losses seen in progress messages while recording
  liveFollow: boolean; // while recording, show each newest finished step (until the user picks one)
  breakpoints: string[]; // the specs in force (the `breakpoints` trait)
  bpList: string[]; // every spec the breakpoint list shows, in order: those in force and those switched off
  hits: Hit[]; // replay positions of the breakpoints, in time order
  bpProblems: Record<string, string>; // spec -> why it names nothing in this trace
  liveHits: LiveHit[]; // where the recording itself paused (the kernel's `hits.live`)
  anomaly: Anomaly | null; // where the first NaN/inf was born
  hover: number; // box index under the pointer, -1 for none
  lane: [number, number] | null; // the timeline's zoomed window of events within the step, null = all
  focused: boolean; // the widget has keyboard focus
  revealNode: number; // open the groups around this node and centre it once laid out (a pause, a search, a hit), -1 for none
  host: "kernel" | "saved"; // a notebook's kernel answers, or a saved page's embedded answers
  compareTarget: CompareTarget | null; // what the user asked to compare the shown step with
  compare: Comparison | null; // ...once its step (and the alignment) arrived
  compareQuantity: CompareQuantity; // what the delta colours show
  otherSteps: number | null; // steps of the other trace (mgdebug.show(a, compare=b)), null: none
}

export function initialState(): State {
  return {
    meta: null,
    status: {},
    paused: {},
    stepIndex: 0,
    view: null,
    pendingCursor: null,
    pendingLabel: null,
    pendingNode: -1,
    loading: "waiting for the kernel…",
    notice: "",
    cursor: -1,
    selected: -1,
    selectedGroup: -1,
    tree: null,
    layout: null,
    expanded: null,
    pages: {},
    camera: { x: 0, y: 0, scale: 1 },
    fitPending: true,
    focusNode: -1,
    colorMode: "grad",
    showOps: true,
    bySample: false,
    showPath: true,
    path: null,
    playing: false,
    speed: 1000,
    search: "",
    matches: [],
    matchIndex: -1,
    params: null,
    heatmapMode: "grad",
    liveLosses: [],
    liveFollow: true,
    compareTarget: null,
    compare: null,
    compareQuantity: "grad",
    otherSteps: null,
    breakpoints: [],
    bpList: [],
    hits: [],
    bpProblems: {},
    liveHits: [],
    anomaly: null,
    hover: -1,
    lane: null,
    focused: false,
    revealNode: -1,
    host: "kernel",
  };
}

/** The debugger's buttons while a cell is paused (mgdebug/widget.py COMMANDS). */
export type Command = "continue" | "step" | "over" | "out" | "stop";

/** A renderer gets the keys changed since the last frame; "*" = redraw everything (size, theme). */
export type Renderer = (s: State, changed: ReadonlySet<keyof State | "*">) => void;

export class Store {
  readonly state: State;
  private renderers: Renderer[] = [];
  private changed = new Set<keyof State | "*">();
  private frame = 0;
  private disposed = false;

  constructor(
    initial: State,
    private schedule: (cb: () => void) => number = (cb) => requestAnimationFrame(cb),
    private cancel: (id: number) => void = (id) => cancelAnimationFrame(id),
  ) {
    this.state = initial;
  }

  /** Renderers run in the order added, once per frame, with the keys changed since the last. */
  subscribe(r: Renderer): void {
    this.renderers.push(r);
  }

  update(patch: Partial<State>): void {
    if (this.disposed) return;
    for (const k of Object.keys(patch) as (keyof State)[]) this.changed.add(k);
    Object.assign(this.state, patch);
    if (!this.frame) this.frame = this.schedule(() => this.flush());
  }

  /** Redraw everything without changing anything (a resize, a theme switch). */
  redraw(): void {
    this.changed.add("*");
    this.update({});
  }

  flush(): void {
    this.frame = 0;
    const changed = this.changed;
    this.changed = new Set();
    for (const r of this.renderers) r(this.state, changed);
  }

  dispose(): void {
    this.disposed = true;
    if (this.frame) this.cancel(this.frame);
    this.frame = 0;
  }
}

/** What the parts of the page may ask for; control/controller.ts puts them together. */
export interface Actions {
  seek(t: number): void; // global event index
  stepBy(events: number): void;
  jump(direction: 1 | -1): void; // to the next / previous event that touches the selection
  togglePlay(): void;
  loadStep(step: number, select?: string): void; // `select`: a label to select once loaded
  select(node: number): void;
  selectGroup(group: number): void;
  toggleGroup(group: number): void;
  setExpanded(keys: string[] | null): void;
  turnPage(group: number, page: number): void; // show that call / instance of a repeated group
  expandAll(open: boolean): void;
  search(query: string, direction: 1 | -1): void;
  fit(): void;
  setOptions(
    patch: Partial<Pick<State, "colorMode" | "showOps" | "bySample" | "showPath" | "speed" | "heatmapMode">>,
  ): void;
  command(action: Command): void;
  setBreakpoints(specs: string[]): void; // the specs in force; the list keeps those switched off
  addBreakpoints(specs: string[]): void; // in force, at the end of the list
  removeBreakpoint(spec: string): void;
  enableBreakpoint(spec: string, on: boolean): void;
  jumpToHit(spec: string): void; // the next hit of `spec` after the cursor (the first after the last)
  reveal(node: number): void; // select it, open the groups around it, centre it
  revealGroup(group: number): void; // select it, open the groups around it, centre its box
  zoomBy(factor: number): void; // the graph, about the view's centre
  zoomLane(factor: number): void; // the timeline, about the cursor
  compareWith(target: CompareTarget | null): void; // colour the graph by the difference, or stop
  setCompareQuantity(quantity: CompareQuantity): void;
}

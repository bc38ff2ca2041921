// The viewer's behaviour, put together: the model's traits and messages wired to the
// parts that act on them, and the `Actions` the page's parts call. Each part is its own
// small class: Navigator (time, steps, selection), Player, ViewActions (groups, search,
// camera), KernelMessages, and the StepLoader (data/).

import { StepLoader } from "../data/stepLoader";
import type { LayoutAnswer, LayoutClient } from "../layout/client";
import type { ModelLink } from "../model";
import type { Mark } from "../perf";
import type { Actions, Store } from "../state";
import type { ViewSize } from "../view/camera";
import { zoomLane } from "../view/lane";
import { BreakpointList } from "./breakpointList";
import { CompareMode } from "./compare";
import { KernelMessages } from "./kernelMessages";
import { Navigator } from "./navigator";
import { Player } from "./player";
import { ViewActions } from "./viewActions";

export class Controller {
  readonly actions: Actions;
  private readonly loader: StepLoader;
  private readonly player: Player;
  private readonly view: ViewActions;
  private readonly nav: Navigator;

  constructor(
    store: Store,
    link: ModelLink,
    layout: LayoutClient,
    viewSize: () => ViewSize,
    private readonly mark: Mark,
  ) {
    // the parts call each other only after this constructor returned
    this.view = new ViewActions(
      store,
      layout,
      viewSize,
      (node) => this.nav.select(node),
      (group) => this.nav.selectGroup(group),
    );
    this.player = new Player(store, (t) => this.nav.seek(t));
    this.loader = new StepLoader(
      (content) => {
        mark("step-request", { step: Number(content.step), id: Number(content.id) });
        link.send(content);
      },
      (view) => {
        this.nav.showView(view);
        compare.onShownStep();
      },
      (message) => store.update({ loading: "", notice: message }),
    );
    const compare = new CompareMode(store, link, mark);
    const nav = new Navigator(store, link, this.loader, layout, this.view, this.player, mark);
    this.nav = nav;
    const kernel = new KernelMessages(store, link, this.loader, (step) => nav.requestStep(step), mark, compare);

    link.onMessage((content, buffers) => kernel.onMessage(content, buffers));
    link.onChange("cursor", () => nav.onTrait("cursor"));
    link.onChange("step", () => nav.onTrait("step"));
    link.onChange("selected", () => nav.onTrait("selected"));
    link.onChange("status", () => store.update({ status: link.get("status") ?? {} }));
    link.onChange("paused", () => {
      store.update({ paused: link.get("paused") ?? {} });
      nav.onPaused();
      if (Object.keys(store.state.paused).length) kernel.askHits();
    });
    const list = new BreakpointList(store, link);
    link.onChange("breakpoints", () => list.onTrait(link.get("breakpoints") ?? []));

    const { view, player } = this;
    this.actions = {
      seek: (t) => nav.seek(t),
      stepBy: (d) => nav.stepBy(d),
      jump: (dir) => nav.jump(dir),
      togglePlay: () => player.toggle(),
      loadStep: (step, label) => nav.loadStep(step, label),
      select: (node) => nav.select(node),
      selectGroup: (group) => nav.selectGroup(group),
      toggleGroup: (group) => view.toggleGroup(group),
      setExpanded: (keys) => view.setExpanded(keys),
      turnPage: (group, page) => view.turnPage(group, page),
      expandAll: (open) => view.expandAll(open),
      search: (query, dir) => view.search(query, dir),
      fit: () => view.fit(),
      setOptions: (patch) => view.setOptions(patch),
      command: (action) => {
        const s = store.state;
        // Stop also ends a cell that is running without a pause
        if (Object.keys(s.paused).length || (action === "stop" && s.status.recording)) {
          link.send({ kind: "command", action });
        } else store.update({ notice: `nothing is paused: ${action} acts while a cell is paused at a breakpoint` });
      },
      setBreakpoints: (specs) => list.setBreakpoints(specs),
      addBreakpoints: (specs) => list.addBreakpoints(specs),
      removeBreakpoint: (spec) => list.removeBreakpoint(spec),
      enableBreakpoint: (spec, on) => list.enableBreakpoint(spec, on),
      jumpToHit: (spec) => nav.jumpToHit(spec),
      reveal: (node) => view.reveal(node),
      revealGroup: (group) => view.revealGroup(group),
      zoomBy: (factor) => view.zoomBy(factor),
      compareWith: (target) => compare.start(target),
      setCompareQuantity: (quantity) => store.update({ compareQuantity: quantity }),
      zoomLane: (factor) => {
        const s = store.state;
        if (s.view) store.update({ lane: zoomLane(s.view.numEvents, s.lane, s.view.event, factor) });
      },
    };
  }

  /** The graph's box changed size. */
  onResize(): void {
    this.view.resized();
  }

  /** A layout answer from the worker. */
  onLayout(ans: LayoutAnswer): void {
    this.mark("layout", { ms: ans.result.ms, units: ans.result.layout.unit.length });
    this.view.onLayout(ans);
    this.loader.settled();
  }

  dispose(): void {
    this.player.stop();
  }
}

// The sizes of the boxes the layout places and the renderer draws, in world pixels.
//
// A node is a small card (label / data / grad on three lines) rather than micrograd's
// one-row record: a graph is many levels wide and few boxes tall, so narrow cards let a
// whole small graph fit the canvas with its numbers still readable (graphView.fitCamera).

export interface ViewOptions {
  showOps: boolean; // op nodes drawn as circles on their value card's left edge (micrograd's picture)
}

export const SIZE = {
  opPx: 20, // op circle diameter; its centre sits on the card's left edge
  recordWPx: 108, // label / data / grad
  nodeHPx: 46,
  groupWPx: 190, // "neurons.10" whole at the demo's first view (it is as tall as the view, not as wide)
  groupHPx: 40,
  headerPx: 20, // title bar of an open group
  padPx: 10,
  layerGapPx: 48, // room for a bundle's count between layers
  rowGapPx: 8,
};

export function nodeWidth(opts: ViewOptions): number {
  return SIZE.recordWPx + (opts.showOps ? SIZE.opPx / 2 : 0);
}

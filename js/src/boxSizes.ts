// The sizes of the boxes the layout places and the renderer draws, in world pixels.

export interface ViewOptions {
  showOps: boolean; // op nodes drawn as circles beside their value box (micrograd's picture)
}

export const SIZE = {
  opPx: 22, // op circle diameter
  recordWPx: 248, // label | data | grad
  nodeHPx: 24,
  groupWPx: 196,
  groupHPx: 42,
  headerPx: 20, // title bar of an open group
  padPx: 10,
  layerGapPx: 44,
  rowGapPx: 10,
};

export function nodeWidth(opts: ViewOptions): number {
  return SIZE.recordWPx + (opts.showOps ? SIZE.opPx + 10 : 0);
}

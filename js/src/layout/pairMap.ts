// A hash map from pairs of non-negative int32 to dense indices, on typed arrays:
// aggregating 100k+ edges through a JS Map keyed by a*U+b (heap doubles) cost ~5x more.

export class PairMap {
  private keysA: Int32Array;
  private keysB: Int32Array;
  private vals: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 16) {
    let cap = 16;
    while (cap < expected * 2) cap *= 2;
    this.mask = cap - 1;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.vals = new Int32Array(cap);
  }

  /** The index of (a, b); a new pair gets `next` (by default the next index, `size`
   * before the call: a caller numbering pairs some other way passes its own). */
  index(a: number, b: number, next = this.size): number {
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b)) & this.mask;
    for (;;) {
      const ka = this.keysA[h];
      if (ka === -1) break;
      if (ka === a && this.keysB[h] === b) return this.vals[h];
      h = (h + 1) & this.mask;
    }
    this.keysA[h] = a;
    this.keysB[h] = b;
    this.vals[h] = next;
    if (++this.size * 2 > this.mask) this.grow();
    return next;
  }

  private grow(): void {
    const { keysA, keysB, vals } = this;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.vals = new Int32Array(cap);
    for (let i = 0; i < keysA.length; i++) {
      if (keysA[i] === -1) continue;
      let h = (Math.imul(keysA[i], 0x9e3779b1) ^ Math.imul(keysB[i], 0x85ebca6b)) & this.mask;
      while (this.keysA[h] !== -1) h = (h + 1) & this.mask;
      this.keysA[h] = keysA[i];
      this.keysB[h] = keysB[i];
      this.vals[h] = vals[i];
    }
  }
}

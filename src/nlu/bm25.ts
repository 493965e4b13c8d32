/** A document as weighted bags of tokens: field weight multiplies term frequency (BM25F-style). */
export interface Bm25Doc {
  id: string;
  fields: { tokens: readonly string[]; weight: number }[];
}

export interface Bm25Hit {
  id: string;
  score: number;
}

/**
 * Okapi BM25 over a small, fixed corpus. Everything (idf, weighted term frequencies, length
 * norms) is computed once; a query only sums a few precomputed numbers per matching document.
 */
export class Bm25Index {
  private readonly postings = new Map<string, { doc: number; w: number }[]>();
  private readonly idf = new Map<string, number>();
  readonly ids: string[];

  constructor(docs: readonly Bm25Doc[], k1 = 1.2, b = 0.75) {
    this.ids = docs.map((d) => d.id);
    const tfs = docs.map((d) => {
      const tf = new Map<string, number>();
      let len = 0;
      for (const f of d.fields) {
        for (const t of f.tokens) {
          tf.set(t, (tf.get(t) ?? 0) + f.weight);
          len += f.weight;
        }
      }
      return { tf, len };
    });
    const avg = tfs.reduce((s, d) => s + d.len, 0) / Math.max(1, tfs.length);
    const df = new Map<string, number>();
    for (const { tf } of tfs) for (const t of tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
    const n = docs.length;
    for (const [t, f] of df) this.idf.set(t, Math.log(1 + (n - f + 0.5) / (f + 0.5)));
    tfs.forEach(({ tf, len }, doc) => {
      const norm = k1 * (1 - b + (b * len) / (avg || 1));
      for (const [t, f] of tf) {
        const w = (this.idf.get(t)! * (f * (k1 + 1))) / (f + norm);
        let list = this.postings.get(t);
        if (!list) {
          list = [];
          this.postings.set(t, list);
        }
        list.push({ doc, w });
      }
    });
  }

  /** How rare (informative) a token is in this corpus; 0 when unknown. */
  idfOf(token: string): number {
    return this.idf.get(token) ?? 0;
  }

  has(token: string): boolean {
    return this.postings.has(token);
  }

  /** True when document `doc` (its index) contains the token. */
  contains(doc: number, token: string): boolean {
    return this.postings.get(token)?.some((p) => p.doc === doc) ?? false;
  }

  /** Scores per document index for query tokens, each with a weight (1 for a whole word). */
  scores(tokens: ReadonlyMap<string, number>): Float64Array {
    const out = new Float64Array(this.ids.length);
    for (const [t, weight] of tokens) {
      const list = this.postings.get(t);
      if (!list) continue;
      for (const p of list) out[p.doc]! += weight * p.w;
    }
    return out;
  }

  /**
   * The same scores into a caller's zeroed buffer, listing the documents touched: a query touches
   * few of many documents, so the caller visits (and re-zeroes) only those.
   */
  scoresInto(tokens: ReadonlyMap<string, number>, out: Float64Array, touched: number[]): void {
    for (const [t, weight] of tokens) {
      const list = this.postings.get(t);
      if (!list) continue;
      for (const p of list) {
        if (out[p.doc] === 0) touched.push(p.doc);
        out[p.doc]! += weight * p.w;
      }
    }
  }
}

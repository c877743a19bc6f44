/** The largest Packet Identifier the wire format allows (a Two Byte Integer, never 0). */
export const MAX_PACKET_ID = 65_535;

// Ids are bits in 32-bit words, grouped into pages of 1024 ids. A page's words are
// allocated on first use and dropped again when the page empties, so an allocator
// with a handful of ids in flight costs a few hundred bytes, not 8 KiB.
const WORDS_PER_PAGE = 32;
const IDS_PER_PAGE = WORDS_PER_PAGE * 32;

/**
 * Pages that emptied, all bits clear, for the next allocator that needs one (any
 * allocator: they are plain zeroed words). A session with one message in flight
 * at a time empties and refills its page on every message; without these it
 * allocated a page per message. At most {@link MAX_SPARE_PAGES}, so idle
 * allocators still hold nothing.
 */
const sparePages: Uint32Array[] = [];
const MAX_SPARE_PAGES = 16;

/** Options of a {@link PacketIdAllocator}. */
export interface PacketIdAllocatorOptions {
  /**
   * Highest id handed out, 1..65535 (default 65535). Smaller values exist for tests
   * that want to reach exhaustion and reuse quickly.
   */
  maxId?: number;
}

/**
 * Hands out MQTT Packet Identifiers 1..65535 that are not in use
 * [MQTT-2.2.1-3] [MQTT-2.2.1-4], and takes them back when a flow ends.
 *
 * `allocate` continues after the last id it handed out (a rotating cursor), so a
 * released id is reused as late as possible, and it costs a bounded number of steps
 * whatever the load: it skips full pages by their count and full words by their
 * value, at most 64 page checks and 32 word checks. When every id is in use it
 * returns `undefined` instead of searching forever.
 *
 * Client and server each have one set of ids per session, shared by PUBLISH,
 * SUBSCRIBE and UNSUBSCRIBE, so a session passes one allocator to everything that
 * needs ids.
 */
export class PacketIdAllocator {
  /** Highest id this allocator hands out. */
  readonly maxId: number;
  private readonly pages: (Uint32Array | undefined)[];
  private readonly pageCounts: Uint16Array;
  private used = 0;
  private cursor = 1;

  constructor(options: PacketIdAllocatorOptions = {}) {
    const maxId = options.maxId ?? MAX_PACKET_ID;
    if (!Number.isInteger(maxId) || maxId < 1 || maxId > MAX_PACKET_ID) {
      throw new RangeError(`maxId must be an integer in 1..${MAX_PACKET_ID}, got ${maxId}`);
    }
    this.maxId = maxId;
    const pageCount = Math.floor(maxId / IDS_PER_PAGE) + 1;
    this.pages = new Array<Uint32Array | undefined>(pageCount).fill(undefined);
    this.pageCounts = new Uint16Array(pageCount);
  }

  /** Number of ids in use. */
  get inUse(): number {
    return this.used;
  }

  /** Number of ids still free. */
  get available(): number {
    return this.maxId - this.used;
  }

  /** The id `allocate` tries first (the rotating cursor), for snapshots. */
  get nextCandidate(): number {
    return this.cursor;
  }

  /** Continue allocating from `id` (restoring a snapshot); ignored when out of range. */
  continueFrom(id: number): void {
    if (this.isValid(id)) this.cursor = id;
  }

  /** Whether `id` is currently in use. */
  isInUse(id: number): boolean {
    if (!this.isValid(id)) return false;
    const page = this.pages[Math.floor(id / IDS_PER_PAGE)];
    if (page === undefined) return false;
    return (page[(id >>> 5) % WORDS_PER_PAGE]! & (1 << (id & 31))) !== 0;
  }

  /**
   * Hand out a free id and mark it in use, or `undefined` when all ids are in use.
   */
  allocate(): number | undefined {
    if (this.used >= this.maxId) return undefined;
    const id = this.findFreeFrom(this.cursor);
    this.mark(id);
    this.cursor = id === this.maxId ? 1 : id + 1;
    return id;
  }

  /**
   * Mark a given id in use (when restoring a snapshot, or when the peer chose it).
   * Returns `false` when it already was in use.
   * @throws RangeError when `id` is not an integer in 1..maxId.
   */
  claim(id: number): boolean {
    this.assertValid(id);
    if (this.isInUse(id)) return false;
    this.mark(id);
    return true;
  }

  /**
   * Give an id back. Returns `false` when it was not in use (nothing changes).
   * @throws RangeError when `id` is not an integer in 1..maxId.
   */
  release(id: number): boolean {
    this.assertValid(id);
    const p = Math.floor(id / IDS_PER_PAGE);
    const page = this.pages[p];
    const w = (id >>> 5) % WORDS_PER_PAGE;
    const bit = 1 << (id & 31);
    if (page === undefined || (page[w]! & bit) === 0) return false;
    page[w] = page[w]! & ~bit;
    this.used--;
    const left = this.pageCounts[p]! - 1;
    this.pageCounts[p] = left;
    if (left === 0) {
      this.pages[p] = undefined;
      if (sparePages.length < MAX_SPARE_PAGES) sparePages.push(page);
    }
    return true;
  }

  /** The ids in use, ascending. Walks every page: for snapshots and tests, not hot paths. */
  idsInUse(): number[] {
    const ids: number[] = [];
    for (let id = 1; id <= this.maxId; id++) if (this.isInUse(id)) ids.push(id);
    return ids;
  }

  private mark(id: number): void {
    const p = Math.floor(id / IDS_PER_PAGE);
    let page = this.pages[p];
    if (page === undefined) {
      page = sparePages.pop() ?? new Uint32Array(WORDS_PER_PAGE);
      this.pages[p] = page;
    }
    const w = (id >>> 5) % WORDS_PER_PAGE;
    page[w] = page[w]! | (1 << (id & 31));
    this.pageCounts[p] = this.pageCounts[p]! + 1;
    this.used++;
  }

  /** First free id at or after `start`, wrapping to 1. Only called when one exists. */
  private findFreeFrom(start: number): number {
    const firstPage = Math.floor(start / IDS_PER_PAGE);
    // Visit the cursor's page twice: from the cursor to its end, and at the very end
    // of the loop from its start, so ids below the cursor come last.
    for (let step = 0; step <= this.pages.length; step++) {
      const p = (firstPage + step) % this.pages.length;
      const from = step === 0 ? start : p * IDS_PER_PAGE;
      const found = this.findInPage(p, from);
      if (found !== undefined) return found;
    }
    throw new Error("unreachable: no free id although the count says there is one");
  }

  private findInPage(p: number, from: number): number | undefined {
    const base = p * IDS_PER_PAGE;
    const capacity = Math.min(this.maxId, base + IDS_PER_PAGE - 1) - Math.max(base, 1) + 1;
    if (this.pageCounts[p]! >= capacity) return undefined;
    const page = this.pages[p];
    const first = Math.max(from, base, 1);
    if (page === undefined) return first <= this.maxId ? first : undefined;
    for (let w = (first >>> 5) % WORDS_PER_PAGE; w < WORDS_PER_PAGE; w++) {
      let free = ~page[w]!;
      const wordBase = base + w * 32;
      if (wordBase < first) free &= -1 << (first - wordBase);
      if (free === 0) continue;
      const id = wordBase + 31 - Math.clz32(free & -free);
      return id <= this.maxId ? id : undefined;
    }
    return undefined;
  }

  private isValid(id: number): boolean {
    return Number.isInteger(id) && id >= 1 && id <= this.maxId;
  }

  private assertValid(id: number): void {
    if (!this.isValid(id))
      throw new RangeError(`packet identifier must be an integer in 1..${this.maxId}, got ${id}`);
  }
}

/**
 * Call sites counted by place: the first frame of each query's stack (the agent puts the
 * app's own frame first), most frequent first. Agents sample stacks, so a count says how
 * often a place was seen among the queries that had one, not how often it ran. Bounded: past
 * MAX_CALL_SITES distinct places, new ones are not counted, and only the first MAX_SAMPLES
 * stacks are counted (enough to rank the places; after that a query costs one comparison).
 */
import type { StackFrame } from '../../shared/domain'

const MAX_CALL_SITES = 16
const MAX_SAMPLES = 4096

export class CallSites {
  /**
   * The places counted, in the order first seen, and how often each was seen: the first
   * `size` of each array (a cleared CallSites keeps the arrays' room for its next use).
   */
  private readonly frames: (StackFrame | undefined)[] = []
  private readonly counts: number[] = []
  private used = 0
  /** The place counted last: a loop reports the same one again and again. */
  private last = -1
  private samples = 0

  add(stack: StackFrame[] | undefined): void {
    if (stack === undefined || this.samples >= MAX_SAMPLES) return
    const frame = stack[0]
    if (frame === undefined) return
    this.samples++
    this.count(frame)
  }

  private count(frame: StackFrame): void {
    // A few places at most: found by comparing, not by a key made for a map.
    let place = this.last >= 0 && samePlace(this.frames[this.last]!, frame) ? this.last : -1
    for (let i = 0; place < 0 && i < this.used; i++)
      if (samePlace(this.frames[i]!, frame)) place = i
    if (place >= 0) this.counts[place]!++
    else if (this.used < MAX_CALL_SITES) {
      place = this.used++
      if (place < this.frames.length) {
        this.frames[place] = copyFrame(frame)
        this.counts[place] = 1
      } else {
        this.frames.push(copyFrame(frame))
        this.counts.push(1)
      }
    }
    this.last = place
  }

  /** Counts each place `other` has seen once (a group's places, into its shape's insight). */
  addPlaces(other: CallSites): void {
    for (let i = 0; i < other.size; i++) {
      if (this.samples >= MAX_SAMPLES) return
      this.samples++
      this.count(other.frames[i]!)
    }
  }

  get size(): number {
    return this.used
  }

  /** Forgets every place, keeping the arrays' room (a reused group's call sites). */
  clear(): void {
    for (let i = 0; i < this.used; i++) this.frames[i] = undefined
    this.used = 0
    this.last = -1
    this.samples = 0
  }

  /** The places, most frequent first (first seen first among equals). */
  top(limit = MAX_CALL_SITES): StackFrame[] {
    const order: number[] = []
    for (let i = 0; i < this.used; i++) order.push(i)
    order.sort((a, b) => this.counts[b]! - this.counts[a]! || a - b)
    return order.slice(0, limit).map((i) => this.frames[i]!)
  }

  /** The most frequent place, if any. */
  first(): StackFrame | undefined {
    let best = -1
    for (let i = 0; i < this.used; i++)
      if (best < 0 || this.counts[i]! > this.counts[best]!) best = i
    return best < 0 ? undefined : this.frames[best]
  }
}

function samePlace(a: StackFrame, b: StackFrame): boolean {
  return a.line === b.line && a.column === b.column && a.file === b.file
}

/** A clean copy: agents' frames arrive as parsed JSON, extra keys and all. */
export function copyFrame(frame: StackFrame): StackFrame {
  const copy: StackFrame = { file: frame.file }
  if (frame.function !== undefined) copy.function = frame.function
  if (frame.line !== undefined) copy.line = frame.line
  if (frame.column !== undefined) copy.column = frame.column
  return copy
}

/** `file:line:column`, as reports and the UI print a place. */
export function formatFrame(frame: StackFrame): string {
  return `${frame.file}:${frame.line ?? '?'}:${frame.column ?? '?'}`
}

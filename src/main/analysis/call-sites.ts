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

interface Counted {
  frame: StackFrame
  count: number
}

export class CallSites {
  private readonly byPlace = new Map<string, Counted>()
  /** The place counted last: a loop reports the same one again and again. */
  private last: Counted | undefined
  private samples = 0

  add(stack: StackFrame[] | undefined): void {
    if (stack === undefined || this.samples >= MAX_SAMPLES) return
    const frame = stack[0]
    if (frame === undefined) return
    this.samples++
    const last = this.last
    if (
      last !== undefined &&
      last.frame.line === frame.line &&
      last.frame.column === frame.column &&
      last.frame.file === frame.file
    ) {
      last.count++
      return
    }
    const place = `${frame.file}:${frame.line}:${frame.column}`
    let counted = this.byPlace.get(place)
    if (counted !== undefined) counted.count++
    else if (this.byPlace.size < MAX_CALL_SITES) {
      counted = { frame: copyFrame(frame), count: 1 }
      this.byPlace.set(place, counted)
    }
    this.last = counted
  }

  get size(): number {
    return this.byPlace.size
  }

  /** The places, most frequent first (first seen first among equals). */
  top(limit = MAX_CALL_SITES): StackFrame[] {
    return [...this.byPlace.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, limit)
      .map((counted) => counted.frame)
  }

  /** The most frequent place, if any. */
  first(): StackFrame | undefined {
    let best: Counted | undefined
    for (const counted of this.byPlace.values())
      if (!best || counted.count > best.count) best = counted
    return best?.frame
  }
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

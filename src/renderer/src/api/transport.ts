/**
 * What the renderer holds: the shared `ProfilerClient`, plus the state of the line under it.
 * The stores never learn which transport they have; they only learn whether it is up, so
 * the header can say "disconnected" and the stores can refetch after a reconnect.
 */
import type { ProfilerClient } from '@shared/api'

/**
 * `connecting`: the first attempt is under way. `open`: requests flow. `disconnected`: the
 * line dropped (or never came up) and the transport is retrying with backoff.
 */
export type TransportState = 'connecting' | 'open' | 'disconnected'

export interface RendererClient extends ProfilerClient {
  /** The line's state now. */
  readonly state: TransportState
  /** Called on every state change; returns the unsubscribe function. */
  onStateChange(listener: (state: TransportState) => void): () => void
  /** Stops the transport for good (pending requests are rejected). */
  close(): void
}

/** The app's views, in navigation order. Views not built yet say what brings them. */
export type ViewId =
  | 'queries'
  | 'timeline'
  | 'findings'
  | 'statistics'
  | 'problems'
  | 'health'
  | 'metrics'
  | 'sessions'

export interface ViewDescription {
  id: ViewId
  label: string
  /** For views not built yet: what they will show, and which piece of work brings them. */
  placeholder?: { summary: string; arrivesWith: string }
}

export const APP_VIEWS: readonly ViewDescription[] = [
  { id: 'queries', label: 'Queries' },
  { id: 'timeline', label: 'Timeline' },
  { id: 'findings', label: 'N+1' },
  { id: 'statistics', label: 'Statistics' },
  { id: 'problems', label: 'Slow & failed' },
  {
    id: 'health',
    label: 'Health',
    placeholder: {
      summary:
        'Warnings, errors and critical findings over slow and failed queries, pools and the host.',
      arrivesWith: 'the health work',
    },
  },
  {
    id: 'metrics',
    label: 'Metrics',
    placeholder: {
      summary: 'Host, process, connection-pool and cache metrics over time.',
      arrivesWith: 'the metrics work',
    },
  },
  { id: 'sessions', label: 'Sessions' },
]

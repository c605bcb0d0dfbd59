/** Column descriptions for `DataTable.vue`. */
export interface DataColumn {
  /** Names the cell slot (`cell-<key>`). */
  key: string
  label: string
  /** The column's CSS grid track, e.g. `80px` or `minmax(200px, 1fr)`. */
  width: string
  align?: 'left' | 'right'
  /** Set when the column is sortable: the key sent to the core. */
  sortKey?: string
  /** Header tooltip. */
  title?: string
  /** Hidden while the table is narrower than this many pixels. */
  hideBelow?: number
  /** Monospace, tabular figures. */
  mono?: boolean
}

/**
 * The N+1 view's data: every finding (N+1 reads, duplicates, write loops) and the recurring
 * insights, from `analysis.findings`, grouped by kind and ordered by severity; and, for the
 * findings the user expanded, their queries from `analysis.finding`. Loaded when the view
 * is first shown, refreshed on `analysis.changed` while it is shown (one request at a time:
 * changes during a request cause one more afterwards, not one each).
 */
import { computed, ref, shallowRef, triggerRef } from 'vue'
import { defineStore } from 'pinia'
import type { Finding, FindingKind, RecurringInsight, Severity } from '@shared/analysis'
import type { QueryRow } from '@shared/domain'
import { useProfilerClient } from '@renderer/api/client'
import { useActivation } from '@renderer/lib/activation'
import { onAnalysisChange, onSessionReplaced } from '@renderer/lib/analysis-changes'
import { formatFrameLocation } from '@renderer/lib/format'

export type FindingDetail = Finding & { queries: QueryRow[] }

export const FINDING_KINDS: readonly { kind: FindingKind; label: string; one: string }[] = [
  { kind: 'n-plus-one', label: 'N+1 reads', one: 'N+1 read' },
  { kind: 'duplicate', label: 'Duplicate queries', one: 'duplicate' },
  { kind: 'write-loop', label: 'Write loops', one: 'write loop' },
]

/** Most severe first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'error', 'warning']

export interface FindingGroup {
  kind: FindingKind
  label: string
  /** Most severe first, then the costliest. */
  findings: Finding[]
  bySeverity: Record<Severity, number>
  totalMs: number
}

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

function matches(finding: Finding, needle: string): boolean {
  if (!needle) return true
  const haystack = [
    finding.fingerprint,
    finding.scope.name ?? '',
    finding.scope.id,
    finding.scope.appId,
    ...finding.callSites.map((frame) => `${formatFrameLocation(frame)} ${frame.function ?? ''}`),
  ]
  return haystack.some((text) => text.toLowerCase().includes(needle))
}

export const useFindingsStore = defineStore('findings', () => {
  const client = useProfilerClient()

  const findings = shallowRef<Finding[]>([])
  const insights = shallowRef<RecurringInsight[]>([])
  /** Whether the first list has arrived. */
  const loaded = ref(false)
  const loadError = ref<string | null>(null)
  /** Filters by SQL, context, app and call site, in the renderer (the list is small). */
  const filterText = ref('')
  /** Ids of the expanded findings. */
  const expanded = ref(new Set<string>())
  /** Queries of expanded findings, by finding id. */
  const details = shallowRef(new Map<string, FindingDetail | null>())
  const detailErrors = ref(new Map<string, string>())

  let inFlight = false
  let again = false

  const groups = computed<FindingGroup[]>(() => {
    const needle = filterText.value.trim().toLowerCase()
    const rank = (severity: Severity): number => SEVERITIES.indexOf(severity)
    return FINDING_KINDS.map(({ kind, label }) => {
      const ofKind = findings.value
        .filter((finding) => finding.kind === kind && matches(finding, needle))
        .sort((a, b) => rank(a.severity) - rank(b.severity) || b.totalMs - a.totalMs)
      const bySeverity: Record<Severity, number> = { critical: 0, error: 0, warning: 0 }
      let totalMs = 0
      for (const finding of ofKind) {
        bySeverity[finding.severity] += 1
        totalMs += finding.totalMs
      }
      return { kind, label, findings: ofKind, bySeverity, totalMs }
    })
  })

  /** Findings shown after the filter. */
  const shownCount = computed(() => groups.value.reduce((n, g) => n + g.findings.length, 0))

  async function refresh(): Promise<void> {
    if (inFlight) {
      again = true
      return
    }
    inFlight = true
    try {
      const result = await client.request('analysis.findings')
      findings.value = result.findings
      insights.value = result.insights
      loaded.value = true
      loadError.value = null
      // The expanded ones may have grown: fetch their queries again.
      const present = new Set(result.findings.map((finding) => finding.id))
      for (const id of [...expanded.value]) {
        if (present.has(id)) void loadDetail(id)
        else expanded.value.delete(id)
      }
    } catch (cause) {
      loadError.value = message(cause)
    } finally {
      inFlight = false
      if (again) {
        again = false
        void refresh()
      }
    }
  }

  async function loadDetail(id: string): Promise<void> {
    try {
      const detail = await client.request('analysis.finding', id)
      details.value.set(id, detail)
      detailErrors.value.delete(id)
      triggerRef(details)
    } catch (cause) {
      detailErrors.value.set(id, message(cause))
    }
  }

  /** Expands or collapses a finding; expanding fetches its queries. */
  function toggle(id: string): void {
    if (expanded.value.has(id)) {
      expanded.value.delete(id)
      return
    }
    expanded.value.add(id)
    void loadDetail(id)
  }

  const activation = useActivation(() => void refresh(), { initiallyStale: true })

  onAnalysisChange(client, activation.changed)
  onSessionReplaced(client, () => {
    expanded.value.clear()
    details.value = new Map()
    activation.changed()
  })
  client.onStateChange((state) => {
    if (state === 'open') activation.changed()
  })

  return {
    findings,
    insights,
    loaded,
    loadError,
    filterText,
    expanded,
    details,
    detailErrors,
    groups,
    shownCount,
    refresh,
    toggle,
    activate: activation.activate,
    deactivate: activation.deactivate,
  }
})

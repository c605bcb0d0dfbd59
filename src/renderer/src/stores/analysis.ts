/**
 * What the analysis found, in numbers (the nav's badges), and its thresholds. The summary
 * comes once from `analysis.summary` and then with every throttled `analysis.changed`;
 * settings are read when a view needs them and written through `analysis.settings.set`.
 */
import { computed, ref, shallowRef } from 'vue'
import { defineStore } from 'pinia'
import type { AnalysisSettings, AnalysisSummary } from '@shared/analysis'
import { useProfilerClient } from '@renderer/api/client'
import { onAnalysisChange, onSessionReplaced } from '@renderer/lib/analysis-changes'

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause))

export const useAnalysisStore = defineStore('analysis', () => {
  const client = useProfilerClient()

  /** The latest counts, `null` until the first arrive. */
  const summary = shallowRef<AnalysisSummary | null>(null)
  /** Why the summary could not be fetched, if it could not. */
  const summaryError = ref<string | null>(null)
  /** The thresholds in force, once loaded. */
  const settings = shallowRef<AnalysisSettings | null>(null)
  const settingsError = ref<string | null>(null)
  const savingSettings = ref(false)

  /** N+1, duplicate and write-loop findings together. */
  const findingCount = computed(() => {
    const findings = summary.value?.findings
    return findings ? findings['n-plus-one'] + findings.duplicate + findings['write-loop'] : 0
  })

  let summaryInFlight = false
  let summaryAgain = false

  /** Fetches the counts; calls during a request make one more afterwards, not one each. */
  async function refreshSummary(): Promise<void> {
    if (summaryInFlight) {
      summaryAgain = true
      return
    }
    summaryInFlight = true
    try {
      summary.value = await client.request('analysis.summary')
      summaryError.value = null
    } catch (cause) {
      summaryError.value = message(cause)
    } finally {
      summaryInFlight = false
      if (summaryAgain) {
        summaryAgain = false
        void refreshSummary()
      }
    }
  }

  async function loadSettings(): Promise<void> {
    try {
      settings.value = await client.request('analysis.settings.get')
      settingsError.value = null
    } catch (cause) {
      settingsError.value = message(cause)
    }
  }

  /** Changes some thresholds; the core re-runs the analysis and says so by `analysis.changed`. */
  async function saveSettings(changes: Partial<AnalysisSettings>): Promise<boolean> {
    savingSettings.value = true
    try {
      settings.value = await client.request('analysis.settings.set', changes)
      settingsError.value = null
      return true
    } catch (cause) {
      settingsError.value = message(cause)
      return false
    } finally {
      savingSettings.value = false
    }
  }

  onAnalysisChange(client, (pushed) => {
    if (!pushed) return void refreshSummary()
    summary.value = pushed
    summaryError.value = null
  })
  // Cleared, or another session viewed: its counts now, whether or not an analysis event follows.
  onSessionReplaced(client, () => void refreshSummary())
  client.onStateChange((state) => {
    if (state === 'open') void refreshSummary()
  })
  void refreshSummary()

  return {
    summary,
    summaryError,
    settings,
    settingsError,
    savingSettings,
    findingCount,
    refreshSummary,
    loadSettings,
    saveSettings,
  }
})

/**
 * What the session library hands out. The transfer objects live in src/shared/library.ts,
 * since the `library.*` channels carry them to the renderer; re-exported here so the store
 * and the CLI keep importing them from beside the store.
 */
export {
  DEFAULT_RETENTION,
  type LibraryListOptions,
  type RetentionSettings,
  type StorageUse,
  type StoredHealth,
  type StoredQueryPage,
  type StoredSessionDetail,
  type StoredSessionStatus,
  type StoredSessionSummary,
} from '../../shared/library'

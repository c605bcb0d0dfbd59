/**
 * The library's database: a TypeORM DataSource on better-sqlite3, migrated on open.
 *
 * TypeORM owns the schema (the migrations) and the library's reads; the recorder's batched
 * inserts go through better-sqlite3 prepared statements on the same connection
 * (`databaseConnection`), several times faster than the query builder. One connection, not
 * two: better-sqlite3 is synchronous, so a second writer on this thread would wait on the
 * first's lock while holding the thread that would release it.
 */
import Database from 'better-sqlite3'
import { DataSource } from 'typeorm'
import { STORE_ENTITIES } from './entities'
import { STORE_MIGRATIONS } from './migrations'

export interface StoreDatabaseOptions {
  /** The database file, or `:memory:`. */
  file: string
  /**
   * The better-sqlite3 addon to load (a `.node` file), for a runtime other than the Node that
   * installed the package: Electron needs one built for its own ABI.
   */
  nativeBinding?: string
}

export type SqliteConnection = Database.Database

export async function openStoreDataSource(options: StoreDatabaseOptions): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'better-sqlite3',
    database: options.file,
    // Given, not looked up: TypeORM's own lookup turns every load error (a wrong ABI
    // included) into "package not installed".
    driver: Database,
    nativeBinding: options.nativeBinding,
    entities: STORE_ENTITIES,
    migrations: STORE_MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    prepareDatabase: (db: SqliteConnection) => {
      // Only takes effect on a new, empty database (before the first table): lets retention
      // hand freed pages back to the file system without a full VACUUM.
      db.pragma('auto_vacuum = INCREMENTAL')
      // WAL: a committed batch survives the process being killed, readers (the CLI's
      // `sessions`) never block the writer; NORMAL syncs at checkpoints only, which loses
      // nothing on a process crash (only on power loss).
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
    },
  })
  await dataSource.initialize()
  try {
    await dataSource.runMigrations({ transaction: 'all' })
  } catch (error) {
    await dataSource.destroy()
    throw error
  }
  return dataSource
}

/** The better-sqlite3 connection under the DataSource, for prepared statements. */
export function sqliteConnection(dataSource: DataSource): SqliteConnection {
  // TypeORM does not type its drivers' connections.
  return (dataSource.driver as unknown as { databaseConnection: SqliteConnection })
    .databaseConnection
}

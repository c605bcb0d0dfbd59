/**
 * What a finding costs (severity) and what to do about it (suggestion), phrased for the ORM
 * the app's agent reported in its hello.
 *
 * Severity, from the group's count and its time (the union of its queries' intervals):
 *   critical  count ≥ 10 × the kind's threshold, or time ≥ 10 × slowQueryMs
 *   error     count ≥  3 × the kind's threshold, or time ≥ slowQueryMs
 *   warning   otherwise
 * so a loop that costs as much as one slow query is an error, whatever its count.
 */
import type { FindingKind, Severity, StatementKind } from '../../shared/analysis'
import type { AppInfo } from '../../shared/domain'

export function severityOf(
  count: number,
  totalMs: number,
  threshold: number,
  slowQueryMs: number,
): Severity {
  if (count >= 10 * threshold || totalMs >= 10 * slowQueryMs) return 'critical'
  if (count >= 3 * threshold || totalMs >= slowQueryMs) return 'error'
  return 'warning'
}

const SEVERITY_RANK: Record<Severity, number> = { warning: 1, error: 2, critical: 3 }

export function severityRank(severity: Severity): number {
  return SEVERITY_RANK[severity]
}

export type OrmFamily = 'typeorm' | 'sqlalchemy' | 'sequelize' | 'django' | 'prisma' | 'generic'

/** The ORM family of an app, from the name its agent reported. */
export function ormFamily(app: Pick<AppInfo, 'orm'> | undefined): OrmFamily {
  const name = app?.orm?.name.toLowerCase() ?? ''
  if (name.includes('typeorm')) return 'typeorm'
  // FastORM, the original system's ORM, is built on SQLAlchemy.
  if (name.includes('sqlalchemy') || name.includes('fastorm')) return 'sqlalchemy'
  if (name.includes('sequelize')) return 'sequelize'
  if (name.includes('django')) return 'django'
  if (name.includes('prisma')) return 'prisma'
  return 'generic'
}

/** The table a statement reads or writes and the column it filters on, when they are plain. */
export function targetOf(fingerprint: string): { table?: string; column?: string } {
  const name = String.raw`("[^"]+"|\x60[^\x60]+\x60|\[[^\]]+\]|[\w$]+)`
  const qualified = String.raw`(?:${name}\s*\.\s*)?${name}`
  const table =
    new RegExp(String.raw`\b(?:from|into|update)\s+${qualified}`, 'i').exec(fingerprint) ??
    undefined
  const column =
    new RegExp(String.raw`\bwhere\s*\(*\s*${qualified}\s*(?:=|in\b)`, 'i').exec(fingerprint) ??
    undefined
  const result: { table?: string; column?: string } = {}
  if (table) result.table = unquote(table[2]!)
  if (column) result.column = unquote(column[2]!)
  return result
}

function unquote(name: string): string {
  return name.replace(/^["`[]|["`\]]$/g, '')
}

/** The suggestion for a finding (or a recurring N+1) of `kind` on this shape. */
export function suggestionFor(
  kind: FindingKind,
  statement: StatementKind,
  fingerprint: string,
  app: Pick<AppInfo, 'orm'> | undefined,
): string {
  const orm = ormFamily(app)
  const { table = 'the related', column = 'id' } = targetOf(fingerprint)
  const rows = table === 'the related' ? 'the related rows' : `the \`${table}\` rows`
  switch (kind) {
    case 'n-plus-one':
      return nPlusOne(orm, rows, column)
    case 'duplicate':
      return duplicate(orm)
    case 'write-loop':
      return writeLoop(orm, statement, rows, column)
  }
}

function nPlusOne(orm: OrmFamily, rows: string, column: string): string {
  const lead = `One query per parent row loads ${rows} by \`${column}\`.`
  switch (orm) {
    case 'typeorm':
      return (
        `${lead} Load them with the parent query — \`relations: [...]\` in the find options, or ` +
        `\`leftJoinAndSelect\` in a query builder — or in one query with ` +
        `\`findBy({ ${column}: In(ids) })\` (one \`WHERE ${column} IN (...)\`).`
      )
    case 'sqlalchemy':
      return (
        `${lead} Load the relationship eagerly with the parent query: ` +
        `\`.options(selectinload(Parent.children))\` (one extra \`WHERE ${column} IN (...)\` ` +
        `query) or \`joinedload(Parent.children)\` (a JOIN), instead of lazy loading per row.`
      )
    case 'sequelize':
      return (
        `${lead} Load them with the parent query with \`include: [...]\`, or in one query with ` +
        `\`findAll({ where: { ${column}: ids } })\` (one \`WHERE ${column} IN (...)\`).`
      )
    case 'django':
      return (
        `${lead} Use \`select_related(...)\` (a JOIN) or \`prefetch_related(...)\` (one ` +
        `\`WHERE ${column} IN (...)\` query) on the parent queryset.`
      )
    case 'prisma':
      return (
        `${lead} Load them with the parent query with \`include: { ... }\`, or in one query with ` +
        `\`findMany({ where: { ${column}: { in: ids } } })\`.`
      )
    case 'generic':
      return (
        `${lead} Fetch them in one query — \`WHERE ${column} IN (...)\` with the values ` +
        `collected from the parent rows — or join them into the parent query.`
      )
  }
}

function duplicate(orm: OrmFamily): string {
  const lead =
    'The same query with the same values runs more than once in one request: reuse the first ' +
    'result — pass it along, or memoise the lookup per request'
  switch (orm) {
    case 'typeorm':
    case 'sequelize':
    case 'prisma':
    case 'generic':
      return `${lead} (a request-scoped cache or a DataLoader).`
    case 'sqlalchemy':
      return (
        `${lead}; \`session.get(Model, id)\` answers a repeated primary-key lookup from the ` +
        `session's identity map without a query.`
      )
    case 'django':
      return `${lead}; keep the queryset's result (querysets cache once evaluated).`
  }
}

function writeLoop(orm: OrmFamily, statement: StatementKind, rows: string, column: string): string {
  if (statement === 'insert') {
    const into = rows === 'the related rows' ? 'a table' : rows.replace(/^the (.*) rows$/, '$1')
    const lead = `One INSERT per row into ${into}: insert the rows in one statement`
    switch (orm) {
      case 'typeorm':
        // Not `save([...])`: it sends one INSERT per entity.
        return (
          `${lead} — \`repository.insert([...])\` or ` +
          `\`createQueryBuilder().insert().values([...])\` (\`save([...])\` still inserts row by row).`
        )
      case 'sqlalchemy':
        return (
          `${lead} — \`session.bulk_save_objects(objects)\` or ` +
          `\`session.execute(insert(Model).values([...]))\`.`
        )
      case 'sequelize':
        return `${lead} — \`Model.bulkCreate([...])\`.`
      case 'django':
        return `${lead} — \`Model.objects.bulk_create([...])\`.`
      case 'prisma':
        return `${lead} — \`createMany({ data: [...] })\`.`
      case 'generic':
        return `${lead} — a multi-row \`INSERT ... VALUES (...), (...)\`.`
    }
  }
  const verb = statement === 'delete' ? 'DELETE' : 'UPDATE'
  const lead = `One ${verb} per row of ${rows}: ${statement === 'delete' ? 'delete' : 'change'} them in one statement`
  switch (orm) {
    case 'typeorm':
      return statement === 'delete'
        ? `${lead} — \`repository.delete({ ${column}: In(ids) })\`.`
        : `${lead} — \`repository.update({ ${column}: In(ids) }, changes)\`, or a query builder's \`update().whereInIds(ids)\`.`
    case 'sqlalchemy':
      return statement === 'delete'
        ? `${lead} — \`session.execute(delete(Model).where(Model.${column}.in_(ids)))\`.`
        : `${lead} — \`session.execute(update(Model).where(Model.${column}.in_(ids)).values(...))\` or \`session.bulk_update_mappings\`.`
    case 'django':
      return statement === 'delete'
        ? `${lead} — \`Model.objects.filter(${column}__in=ids).delete()\`.`
        : `${lead} — \`queryset.update(...)\` or \`bulk_update(objects, fields)\`.`
    case 'sequelize':
    case 'prisma':
    case 'generic':
      return `${lead} — \`${verb} ... WHERE ${column} IN (...)\`.`
  }
}

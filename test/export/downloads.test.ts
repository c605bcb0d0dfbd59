import { existsSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DownloadShelf } from '../../src/main/export/downloads'

const shelves: DownloadShelf[] = []
afterEach(() => shelves.splice(0).forEach((shelf) => shelf.close()))

function shelfWithFile(ttlMs?: number) {
  const shelf = new DownloadShelf(ttlMs)
  shelves.push(shelf)
  const file = shelf.reservePath()
  writeFileSync(file, '{}')
  const url = shelf.add({ file, fileName: 'a.json', contentType: 'application/json' })
  return { shelf, file, url }
}

describe('DownloadShelf', () => {
  it('hands a download out once', () => {
    const { shelf, file, url } = shelfWithFile()
    expect(url).toMatch(/^\/download\/[A-Za-z0-9_-]{22}$/)
    expect(shelf.take(url)).toEqual({ file, fileName: 'a.json', contentType: 'application/json' })
    expect(shelf.take(url)).toBeUndefined()
    expect(shelf.take('/download/guess')).toBeUndefined()
    expect(shelf.take('/elsewhere')).toBeUndefined()
  })

  it('deletes a download nobody fetched once its time is up', async () => {
    const { shelf, file, url } = shelfWithFile(20)
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(shelf.take(url)).toBeUndefined()
    expect(existsSync(file)).toBe(false)
  })

  it('removes its folder, and what waits in it, when closed', () => {
    const { shelf, file } = shelfWithFile()
    shelf.close()
    expect(existsSync(dirname(file))).toBe(false)
    expect(() => shelf.reservePath()).toThrow(/closed/)
  })
})

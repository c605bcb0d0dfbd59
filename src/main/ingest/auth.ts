/**
 * The token that agents and the browser-mode UI must present. One random token per data
 * directory, kept in `<dataDir>/token` with mode 0600 so other local users cannot read it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const TOKEN_FILE = 'token'
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/

export function generateToken(): string {
  return randomBytes(24).toString('base64url')
}

/** Reads the data directory's token, creating it (0600) on first use. */
export function loadOrCreateToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, TOKEN_FILE)
  try {
    const existing = readFileSync(file, 'utf8').trim()
    if (TOKEN_PATTERN.test(existing)) {
      // Tighten a file someone loosened by hand.
      chmodSync(file, 0o600)
      return existing
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const token = generateToken()
  writeFileSync(file, token + '\n', { mode: 0o600 })
  chmodSync(file, 0o600)
  return token
}

export function isValidTokenFormat(token: string): boolean {
  return TOKEN_PATTERN.test(token)
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from timings. */
export function tokensMatch(expected: string, presented: string | undefined | null): boolean {
  if (typeof presented !== 'string') return false
  const a = Buffer.from(expected)
  const b = Buffer.from(presented)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The token from an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

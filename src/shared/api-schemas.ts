/**
 * Validation of request arguments at the trust boundaries (IPC from the renderer, the
 * browser-mode RPC socket). Inside the core the plain types of `api.ts` are trusted.
 */
import { z } from 'zod'
import { MAX_PAGE_SIZE, type RequestChannel } from './api'

const queryPageRequest = z.object({
  offset: z.number().int().nonnegative(),
  limit: z.number().int().min(0).max(MAX_PAGE_SIZE),
  filter: z.string().max(1000).optional(),
})

export const requestArgsSchemas: { [C in RequestChannel]: z.ZodType } = {
  'status.get': z.tuple([]),
  'connect.info': z.tuple([]),
  'queries.page': z.tuple([queryPageRequest]),
  'queries.get': z.tuple([z.number().int().nonnegative()]),
  'session.clear': z.tuple([]),
  'demo.start': z.tuple([]),
}

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(requestArgsSchemas, value)
}

/**
 * Every migration, oldest first, listed explicitly: a glob would find nothing once the code is
 * bundled. Add new ones at the end; never edit one that has shipped.
 */
import { InitialSchema1764144000000 } from './1764144000000-initial-schema'
import { SessionFindings1764403200000 } from './1764403200000-session-findings'

export const STORE_MIGRATIONS = [InitialSchema1764144000000, SessionFindings1764403200000]

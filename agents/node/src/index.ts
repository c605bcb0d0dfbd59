/**
 * fastorm-profiler-agent: sends an app's database queries to FastORM Profiler.
 *
 *   const profiler = startAgent()            // URL and token from the environment
 *   profiler.instrumentTypeORM(dataSource)   // every TypeORM query, timed, with its call site
 *   profiler.withContext('GET /users', fn)   // group queries by request
 *   profiler.recordQuery({ sql, params, durationMs })  // any other driver
 *
 * See README.md for the options and what the agent guarantees.
 */
import { ProfilerAgent, type Agent, type AgentOptions } from './agent'

export type { Agent, AgentOptions, AgentStats, CallSiteMode, QueryRecord } from './agent'
export type { InstrumentTypeORMOptions } from './typeorm'
export type {
  BatchMessage,
  HelloMessage,
  NameAndVersion,
  ProfilerReply,
  QueryEvent,
  StackFrame,
} from './protocol'
export { AGENT_NAME, AGENT_VERSION, DEFAULT_URL } from './agent'

/** Starts an agent: it connects in the background and never throws into the app. */
export function startAgent(options?: AgentOptions): Agent {
  try {
    return new ProfilerAgent(options)
  } catch {
    // Options odd enough to break construction still must not break the app.
    return new ProfilerAgent({ enabled: false })
  }
}

// Guichet desk, supervisor views, shown to supervisors and admins only, toggled from the top bar: Waiting
// (waiting.js) and Held (held.js), with what they share (supervisor-shared.js: roles, the agents directory for the
// transfer pickers here and on the desk, the poller, the views' frame, moments). This module exports them all.

export {
  AGENTS_CACHE_MS, REFRESH_MS, agentLabel, canSupervise, createAgentDirectory, formatMoment, relative,
} from '/desk/supervisor-shared.js';
export { createSupervisor } from '/desk/waiting.js';
export { createHeldView } from '/desk/held.js';

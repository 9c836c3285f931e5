// The desk's one REST client: sign-in, then every tenant route the desk and the supervisor views call.

import { ApiError, conversationPath, createTenantCall, messagesPath } from '/widget/connection.js';

// POST /auth/login; answers the session to keep (see session.js), or throws an ApiError.
export async function signIn(base, username, password) {
  const response = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return {
    id_token: body.id_token,
    tenant: body.tenant,
    agent: body.agent,
    expires_at: body.expires_in ? Date.now() + body.expires_in * 1000 : null,
  };
}

export function createApi(base, tenant, token, onUnauthorized) {
  const call = createTenantCall({ base, tenant, getToken: () => token, onUnauthorized });
  return {
    request: (method, path, body) => call(method, path, body), // any tenant route (the console's pages)
    me: () => call('GET', '/me'),
    settings: () => call('GET', '/settings'),
    putSettings: (changes) => call('PUT', '/settings', changes),
    agentSettings: (id) => call('GET', `/agents/${encodeURIComponent(id)}/settings`),
    putAgentSettings: (id, changes) => call('PUT', `/agents/${encodeURIComponent(id)}/settings`, changes),
    putCallAudio: (kind, wavBase64) => call('PUT', `/callbacks/audio/${kind}`, { wav_base64: wavBase64 }),
    setStatus: (status) => call('PUT', '/agents/me/status', { status }),
    openConversations: () => call('GET', '/conversations'),
    conversation: (id) => call('GET', conversationPath(id)),
    messages: (id, afterSeq) => call('GET', messagesPath(id, afterSeq)),
    createContact: (fields) => call('POST', '/contacts', fields),
    findContact: (query) => call('GET', `/contacts?${new URLSearchParams(query)}`),
    waiting: () => call('GET', '/waiting'),
    myHeld: () => call('GET', '/agents/me/held'),
    held: () => call('GET', '/held'),
    liveCalls: () => call('GET', '/calls/live'),
    routing: () => call('GET', '/routing'),
    agents: () => call('GET', '/agents'),
    release: (id) => call('POST', `${conversationPath(id)}/release`, {}),
    transfer: (id, target) => call('POST', `${conversationPath(id)}/transfer`, target),
    // Calls (issue 13): the number to ring at this login, the agenda, hanging up, a recording's short-lived URL.
    setLine: (line) => call('PUT', '/agents/me/line', { line }),
    agenda: (day) => call('GET', `/callbacks/agenda${day ? `?${new URLSearchParams({ day })}` : ''}`),
    hangUp: (id) => call('POST', `/callbacks/${encodeURIComponent(id)}/hang-up`, {}),
    recording: (id) => call('GET', `/callbacks/${encodeURIComponent(id)}/recording`),
    // Reports (issue 15): a view's JSON, and one of its tables as a CSV file (a Blob, fetched with the token).
    report: (view, query) => call('GET', `/reports/${encodeURIComponent(view)}?${query}`),
    async reportCsv(view, query) {
      const response = await fetch(`${base}/tenants/${encodeURIComponent(tenant)}/reports/${encodeURIComponent(view)}`
        + `?${query}`, { headers: { Authorization: `Bearer ${token}` } });
      if (response.status === 401) onUnauthorized?.();
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      return response.blob();
    },
  };
}

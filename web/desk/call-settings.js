// The Call settings page's controller (issue 13), shown in the console as Administration > Call settings
// (admin-calls.js, issue 16): every callback setting of the tenant (chalicelib/domain/callbacks/settings.py,
// docs/callbacks.md "For admins"): when immediate and scheduled callbacks are offered and their hours, the weekly
// slots with their capacity, holidays, horizon and time zone, the numbers that may be called and the daily limits,
// attempts, spacing, maximum delay and call order, recording; the uploads of hold music and of the recording notice
// (call-audio.js); and each agent's call settings (call-agents.js).
// Saved with PUT /tenants/{tenant}/settings {"callback": {...}}; a refusal names its setting ("callback.slots.3.
// capacity"), and the page shows the message at that input (call-fields.js) and moves the focus there.
// This module holds the page's state and actions (`useCallSettings`); the page itself is call-settings-page.js. Both
// are fetched only when the console shows the page: agents never load them.

import { ApiError } from '/widget/connection.js';
import { useEffect, useMemo, useRef, useState } from '/vendor/htm-preact-standalone.module.js';

const INITIAL = { draft: null, loading: false, failure: null, error: null, saving: false, saved: '' };

// The routes the page and its parts use, through the console's `request(method, path, body)` (a tenant route).
export function callSettingsApi(request) {
  const agentPath = (id) => `/agents/${encodeURIComponent(id)}/settings`;
  return {
    settings: () => request('GET', '/settings'),
    putSettings: (changes) => request('PUT', '/settings', changes),
    putCallAudio: (kind, wavBase64) => request('PUT', `/callbacks/audio/${kind}`, { wav_base64: wavBase64 }),
    agents: () => request('GET', '/agents'),
    agentSettings: (id) => request('GET', agentPath(id)),
    putAgentSettings: (id, changes) => request('PUT', agentPath(id), changes),
  };
}

// The page's state ({ draft, loading, failure, error, saving, saved }) and its actions (load, edit, save, upload,
// stored, announce, api); loads the settings once mounted.
export function useCallSettings(api, announce) {
  const [view, setView] = useState(INITIAL);
  const current = useRef(INITIAL); // what the actions read: the state as last set, not as last drawn
  const actions = useMemo(() => {
    const update = (patch) => {
      current.current = { ...current.current, ...patch };
      setView(current.current);
    };
    async function load() {
      update({ loading: true, failure: null, error: null, saved: '' });
      try {
        const settings = await api.settings();
        update({ draft: settings.callback, loading: false });
      } catch (failure) {
        update({ loading: false, failure: `Could not load the call settings: ${failure.message}` });
      }
    }
    async function save() {
      update({ saving: true, error: null, saved: '' });
      try {
        const settings = await api.putSettings({ callback: current.current.draft });
        update({ draft: settings.callback, saving: false, saved: 'Call settings saved.' }); // said by its role=status
      } catch (failure) {
        const field = failure instanceof ApiError ? failure.field : undefined;
        update({ saving: false, error: { field, message: failure.message, at: Date.now() } });
      }
    }
    return {
      load,
      save,
      edit: (patch) => update({ draft: { ...current.current.draft, ...patch }, saved: '' }),
      upload: (kind, wavBase64) => api.putCallAudio(kind, wavBase64),
      stored: (kind, key) => {
        const { draft, error } = current.current;
        update({ draft: { ...draft, [kind]: key }, error: error?.field === `callback.${kind}` ? null : error });
      },
      announce,
      api,
    };
  }, [api]);
  useEffect(() => { actions.load(); }, [actions]);
  return { view, actions };
}

// The console's Call settings page (issue 16, docs/admin.md "Call settings"): the callback and call settings of issue
// 13 (call-settings.js holds their state and actions, call-settings-page.js draws them), through the console's
// `api.request`. Admins change them; supervisors read them.

import { html, useMemo } from '/vendor/htm-preact-standalone.module.js';
import { CallSettingsPage } from '/desk/call-settings-page.js';
import { callSettingsApi, useCallSettings } from '/desk/call-settings.js';

function Page({ api, canEdit, announce }) {
  const calls = useMemo(() => callSettingsApi((method, path, body) => api.request(method, path, body)), [api]);
  const { view, actions } = useCallSettings(calls, announce);
  return html`<${CallSettingsPage} view=${view} actions=${actions} canEdit=${canEdit} />`;
}

export default { id: 'calls', label: 'Call settings', Page };

// The Call settings page's components (issue 13), shown in the console as Administration > Call settings
// (admin-calls.js) with the state and actions of call-settings.js (what it shows and how: there). Admins change the
// settings; supervisors read them: every control sits in a disabled fieldset and there is no Save.

import { html, useEffect, useLayoutEffect, useRef } from '/vendor/htm-preact-standalone.module.js';
import { AgentCalls } from '/desk/call-agents.js';
import { AcdSection } from '/desk/call-acd.js';
import { AudioUpload } from '/desk/call-audio.js';
import { Check, Choice, Field, Holidays, Hours, NumberField, Ranges, inputId } from '/desk/call-fields.js';
import { pathHolding, pathsIn } from '/desk/labelled-field.js';

const IMMEDIATE = [['off', 'Never'], ['when_agents_available', 'While an agent is available for calls'],
  ['opening_hours', 'Within the opening hours']];
const SCHEDULED = [['off', 'Never'], ['always', 'Always'],
  ['when_immediate_unavailable', 'Only when "call me now" is not offered'], ['on_schedule', 'On a schedule']];
const ORDERS = [['agent_first', 'The agent first, then the visitor'], ['visitor_first', 'The visitor first']];
const DEFAULT_HOURS = { slots: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday']
  .map((weekday) => ({ weekday, start: '09:00', end: '18:00' })), holidays: [] };

// The setting an error names, or the nearest one the page shows: "callback.allowed_countries[1]" is at the
// allowed countries' input. null when no input holds it (the message is then shown by Save only).
function errorTarget(form, field) {
  return form ? pathHolding(field, pathsIn(form)) : null;
}

// view: useCallSettings' state; actions: its actions; canEdit: admins only.
export function CallSettingsPage({ view, actions, canEdit }) {
  const heading = useRef(null);
  const form = useRef(null);
  const errorAt = errorTarget(form.current, view.error?.field);
  useLayoutEffect(() => { heading.current.focus(); }, []);
  useEffect(() => { // a refusal: to the input at fault
    if (view.error) document.getElementById(inputId(errorAt ?? 'save'))?.focus();
  }, [view.error?.at]);
  return html`
    <section id="call-settings-view" class="cs-view" data-testid="call-settings-view"
             aria-labelledby="call-settings-title" aria-busy=${view.loading ? 'true' : undefined}
             data-state=${view.failure ? 'error' : view.draft ? 'loaded' : undefined}>
      <div class="waiting-header">
        <h4 id="call-settings-title" tabindex="-1" ref=${heading}>Callbacks and calls</h4>
        <button type="button" class="secondary" data-testid="call-settings-reload" disabled=${view.loading}
                onClick=${actions.load}>Reload</button>
      </div>
      ${view.failure ? html`<p class="banner waiting-error" role="alert">${view.failure}</p>` : null}
      ${view.draft ? html`
        <form ref=${form} class="cs-form" data-testid="call-settings-form"
              onSubmit=${(e) => { e.preventDefault(); if (canEdit) actions.save(); }}>
          <fieldset class="cs-plain" disabled=${!canEdit}>
            <legend class="visually-hidden">The call settings</legend>
            <${CallbackForm} draft=${view.draft} errorAt=${errorAt} error=${view.error} actions=${actions} />
          </fieldset>
          ${canEdit ? html`<div class="cs-actions">
            <button id=${inputId('save')} type="submit" data-testid="call-settings-save" disabled=${view.saving}
                    aria-describedby="cs-save-outcome">Save the call settings</button>
            <p id="cs-save-outcome" class="cs-outcome ${view.error ? 'error' : 'muted'}" role="status"
               data-testid="call-settings-outcome">${view.error ? `Not saved: ${view.error.message}` : view.saved}</p>
          </div>` : null}
        </form>
        <fieldset class="cs-plain" disabled=${!canEdit}>
          <legend class="visually-hidden">Agents' calls</legend>
          <${AgentCalls} api=${actions.api} />
        </fieldset>` : null}
    </section>`;
}

function CallbackForm({ draft, errorAt, error, actions }) {
  const set = (name) => (value) => actions.edit({ [name]: value });
  const common = { errorAt, error };
  const hoursFor = (name) => (value) => actions.edit({ [name]: value });
  const choose = (mode, hoursName, wanted) => (value) => actions.edit({ [mode]: value,
    ...(value === wanted && !draft[hoursName] ? { [hoursName]: DEFAULT_HOURS } : {}) });
  const zones = timeZones(draft.time_zone);
  return html`
    <section class="cs-section" aria-labelledby="cs-offer-title">
      <h3 id="cs-offer-title">When callbacks are offered</h3>
      <${Choice} path="callback.immediate" label='"Call me now"' value=${draft.immediate} options=${IMMEDIATE}
                 onChange=${choose('immediate', 'opening_hours', 'opening_hours')} ...${common} />
      ${draft.immediate === 'opening_hours' ? html`<${Hours} path="callback.opening_hours" what="Opening hours"
          hours=${draft.opening_hours} onChange=${hoursFor('opening_hours')} ...${common} />` : null}
      <${Choice} path="callback.scheduled" label='"Call me at a time"' value=${draft.scheduled} options=${SCHEDULED}
                 onChange=${choose('scheduled', 'scheduled_hours', 'on_schedule')} ...${common} />
      ${draft.scheduled === 'on_schedule' ? html`<${Hours} path="callback.scheduled_hours" what="Booking hours"
          hours=${draft.scheduled_hours} onChange=${hoursFor('scheduled_hours')} ...${common} />` : null}
    </section>
    <section class="cs-section" aria-labelledby="cs-slots-title">
      <h3 id="cs-slots-title">Booking slots</h3>
      <p class="muted cs-hint">Each weekly range takes at most its number of callbacks, spaced evenly: 6 from 09:00 to
        10:00 are called at 09:00, 09:10 … 09:50. A range takes at most one callback a minute.</p>
      <${Ranges} path="callback.slots" ranges=${draft.slots} what="slot range" onChange=${set('slots')} ...${common} />
      <h4 class="cs-subtitle">Holidays</h4>
      <${Holidays} path="callback.holidays" holidays=${draft.holidays} onChange=${set('holidays')} ...${common} />
      <${NumberField} path="callback.horizon_days" label="Booking horizon (days ahead, 1 to 60)" min="1" max="60"
                      value=${draft.horizon_days} onChange=${set('horizon_days')} ...${common} />
      <${Choice} path="callback.time_zone" label="Time zone of the slots and hours" value=${draft.time_zone}
                 options=${zones.map((zone) => [zone, zone])} onChange=${set('time_zone')} ...${common} />
    </section>
    <section class="cs-section" aria-labelledby="cs-numbers-title">
      <h3 id="cs-numbers-title">Numbers and limits</h3>
      <${Field} path="callback.country" label="Country" hint="Two letters (FR): a number typed without its country code is read in it."
                input=${{ value: draft.country, maxlength: 2, autocomplete: 'off',
                          onInput: (e) => set('country')(e.currentTarget.value.trim().toUpperCase()) }} ...${common} />
      <${Field} path="callback.allowed_countries" label="Countries that may be called"
                hint="Two-letter codes separated by commas (FR, BE); empty: the country above only."
                input=${{ value: draft.allowed_countries.join(', '), autocomplete: 'off',
                          onChange: (e) => set('allowed_countries')(e.currentTarget.value.split(/[\s,;]+/)
                            .filter(Boolean).map((code) => code.toUpperCase())) }} ...${common} />
      <${NumberField} path="callback.per_visitor_daily" label="Callbacks a visitor may ask for per day (1 to 50)"
                      min="1" max="50" value=${draft.per_visitor_daily} onChange=${set('per_visitor_daily')}
                      ...${common} />
      <${NumberField} path="callback.per_number_daily" label="Callbacks a number may receive per day (1 to 50)"
                      min="1" max="50" value=${draft.per_number_daily} onChange=${set('per_number_daily')}
                      ...${common} />
    </section>
    <section class="cs-section" aria-labelledby="cs-calls-title">
      <h3 id="cs-calls-title">Calls</h3>
      <${Choice} path="callback.call_order" label="Who is called first" value=${draft.call_order} options=${ORDERS}
                 onChange=${set('call_order')} ...${common} />
      <${NumberField} path="callback.attempts" label="Attempts to reach the visitor (1 to 10)" min="1" max="10"
                      value=${draft.attempts} onChange=${set('attempts')} ...${common} />
      <${NumberField} path="callback.spacing_seconds" label="Seconds between attempts (60 to 3600)" min="60"
                      max="3600" value=${draft.spacing_seconds} onChange=${set('spacing_seconds')} ...${common} />
      <${NumberField} path="callback.max_delay_seconds"
                      label="Seconds an agent has to take a callback before it expires (60 to 86400)" min="60"
                      max="86400" value=${draft.max_delay_seconds} onChange=${set('max_delay_seconds')} ...${common} />
      <${AudioUpload} kind="hold_music" path="callback.hold_music" label="Hold music" current=${draft.hold_music}
                      hint="Plays in a loop to whoever waits. A WAV or MP3 of at most 200 KB and 60 s; it is converted here to 8 kHz mono WAV."
                      upload=${actions.upload} onStored=${actions.stored} announce=${actions.announce}
                      error=${errorAt === 'callback.hold_music' ? error?.message : null} />
    </section>
    <section class="cs-section" aria-labelledby="cs-recording-title">
      <h3 id="cs-recording-title">Recording</h3>
      <${Check} path="callback.recording" label="Record calls (never a visitor who asks not to be)"
                checked=${draft.recording} onChange=${set('recording')} ...${common} />
      <${NumberField} path="callback.recording_share_percent" label="Share of the calls recorded (percent)" min="0"
                      max="100" value=${draft.recording_share_percent} onChange=${set('recording_share_percent')}
                      ...${common} />
      <${AudioUpload} kind="recording_notice" path="callback.recording_notice" label="Recording notice"
                      current=${draft.recording_notice}
                      hint="Plays to the visitor before recording starts; needed to record. A WAV or MP3 of at most 200 KB and 60 s."
                      upload=${actions.upload} onStored=${actions.stored} announce=${actions.announce}
                      error=${errorAt === 'callback.recording_notice' ? error?.message : null} />
    </section>
    <${AcdSection} draft=${draft} errorAt=${errorAt} error=${error} actions=${actions} />`;
}

function timeZones(current) {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return known.includes(current) ? known : [current, ...known];
}

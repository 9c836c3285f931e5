// The console's Opening hours page (issue 16, docs/admin.md "Opening hours page"): whether the tenant keeps opening
// hours (off: always open), their time zone, several periods per weekday (a period whose end is not after its start
// runs past midnight), holidays, overrides of one date (other periods, or closed all day), and the out-of-hours text
// in English and French (the texts' `closed` key). The settings' `hours` is described in docs/admin.md; the server
// checks every value (the time zone too) and the admin role on Save, which sends only what changed.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { addStylesheet } from '/desk/reports.js';
import {
  AddButton, CheckField, LANGUAGES, SaveBar, SettingsForm, TextField, inputId, useSettings,
} from '/desk/admin-look-form.js';

const KEYS = ['hours', 'texts'];
export const WEEKDAYS = [['mon', 'Monday'], ['tue', 'Tuesday'], ['wed', 'Wednesday'], ['thu', 'Thursday'],
  ['fri', 'Friday'], ['sat', 'Saturday'], ['sun', 'Sunday']];
const OFFICE = [['09:00', '18:00']];
// What the page starts from when the tenant has no hours yet: off (always open), office hours on weekdays.
export const DEFAULT_HOURS = {
  enabled: false, time_zone: 'Europe/Paris',
  weekly: Object.fromEntries(WEEKDAYS.map(([day]) => [day, ['sat', 'sun'].includes(day) ? [] : OFFICE])),
  holidays: [], overrides: [],
};

// A period whose end is not after its start runs past midnight (22:00 to 02:00: until 02:00 the next day).
export const pastMidnight = ([start, end]) => Boolean(start && end) && end <= start;

function timeZones(current) {
  const known = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return known.includes(current) ? known : [current, ...known];
}

function Page({ api, canEdit, announce }) {
  addStylesheet('/desk/admin-look.css');
  const form = useSettings({ api, announce, keys: KEYS });
  const hours = form.draft ? { ...DEFAULT_HOURS, ...(form.draft.hours ?? {}) } : null;
  const setHours = (patch) => form.edit((current) => ({ hours: { ...DEFAULT_HOURS, ...(current.hours ?? {}), ...patch } }));
  const common = { form, canEdit };
  return html`
    <${SettingsForm} form=${form} label="Opening hours">
      ${hours ? html`
        <${CheckField} path="hours.enabled" label="Keep opening hours (when off, the chat is always open)"
                       checked=${hours.enabled} onValue=${(enabled) => setHours({ enabled })} testId="hours-enabled"
                       ...${common} />
        <${TimeZone} value=${hours.time_zone} onValue=${(time_zone) => setHours({ time_zone })} ...${common} />
        <fieldset class="admin-group">
          <legend>Every week</legend>
          <p class="admin-hint" id="hours-midnight">Several periods a day are allowed. A period whose end is not after
            its start runs past midnight: Friday 22:00 to 02:00 is open until 02:00 on Saturday morning.</p>
          ${WEEKDAYS.map(([day, name]) => html`
            <${Periods} key=${day} path=${`hours.weekly.${day}`} name=${name} periods=${hours.weekly?.[day] ?? []}
                        onValue=${(periods) => setHours({ weekly: { ...hours.weekly, [day]: periods } })}
                        announce=${announce} ...${common} />`)}
        </fieldset>
        <${Holidays} hours=${hours} setHours=${setHours} announce=${announce} ...${common} />
        <${Overrides} hours=${hours} setHours=${setHours} announce=${announce} ...${common} />
        <${ClosedTexts} ...${common} />` : null}
      <${SaveBar} form=${form} canEdit=${canEdit} testId="hours-save" />
    <//>`;
}

function TimeZone({ value, onValue, form, canEdit }) {
  const path = 'hours.time_zone';
  const id = inputId(path);
  const failed = form.errorAt === path;
  return html`
    <div class="admin-field" data-field=${path}>
      <label for=${id}>Time zone of the hours</label>
      <select id=${id} value=${value} disabled=${!canEdit} data-testid="hours-time-zone"
              aria-invalid=${failed ? 'true' : undefined} aria-describedby=${failed ? `${id}-error` : undefined}
              onChange=${(event) => onValue(event.currentTarget.value)}>
        ${timeZones(value).map((zone) => html`<option key=${zone} value=${zone}>${zone}</option>`)}
      </select>
      ${failed ? html`<span id=${`${id}-error`} class="admin-field-error">${form.error.message}</span>` : null}
    </div>`;
}

// A day's periods ([start, end] as "HH:MM"), each with its Remove; an empty list is closed all day.
function Periods({ path, name, periods, onValue, form, canEdit, announce, testId }) {
  const change = (index, at, value) => onValue(periods.map((period, i) => (i === index
    ? period.map((time, j) => (j === at ? value : time)) : period)));
  const remove = (index) => {
    onValue(periods.filter((_, i) => i !== index));
    announce(`${name}: period ${index + 1} removed.`);
    requestAnimationFrame(() => document.getElementById(inputId(path))?.focus());
  };
  const add = () => {
    const last = periods[periods.length - 1];
    onValue([...periods, last ? [last[1], last[1] < '23:00' ? '23:00' : '23:59'] : ['09:00', '18:00']]);
    requestAnimationFrame(() => document.getElementById(inputId(`${path}.${periods.length}.0`))?.focus());
  };
  const id = (index, at) => `${path}.${index}.${at}`;
  return html`
    <div class="admin-day" data-testid=${testId ?? `hours-day-${path.split('.').pop()}`}>
      <h4 class="admin-day-name">${name}</h4>
      ${periods.length === 0 ? html`<p class="muted">Closed.</p>` : null}
      ${periods.map((period, index) => html`
        <div key=${index} class="admin-period">
          <${TextField} path=${id(index, 0)} type="time" label=${`${name}, period ${index + 1}: from`}
                        value=${period[0]} onValue=${(value) => change(index, 0, value)} form=${form}
                        canEdit=${canEdit} required />
          <${TextField} path=${id(index, 1)} type="time" label="to" value=${period[1]}
                        aria-label=${`${name}, period ${index + 1}: to`}
                        onValue=${(value) => change(index, 1, value)} form=${form} canEdit=${canEdit} required
                        describedBy=${pastMidnight(period) ? `${inputId(id(index, 1))}-night` : undefined} />
          ${pastMidnight(period) ? html`<span id=${`${inputId(id(index, 1))}-night`} class="admin-hint">
            past midnight: until ${period[1]} the next day</span>` : null}
          ${canEdit ? html`<button type="button" class="secondary" onClick=${() => remove(index)}
                                   aria-label=${`Remove ${name}'s period ${index + 1}`}>Remove</button>` : null}
        </div>`)}
      <${AddButton} path=${path} label=${`Add a period on ${name}`} onAdd=${add} form=${form} canEdit=${canEdit}
                    testId=${`${testId ?? `hours-day-${path.split('.').pop()}`}-add`} />
    </div>`;
}

function Holidays({ hours, setHours, form, canEdit, announce }) {
  const holidays = hours.holidays ?? [];
  const set = (next) => setHours({ holidays: next });
  return html`
    <fieldset class="admin-group">
      <legend>Holidays (closed all day)</legend>
      ${holidays.length === 0 ? html`<p class="muted">None.</p>` : null}
      ${holidays.map((date, index) => html`
        <div key=${index} class="admin-period">
          <${TextField} path=${`hours.holidays.${index}`} type="date" label=${`Holiday ${index + 1}`} value=${date}
                        onValue=${(value) => set(holidays.map((d, i) => (i === index ? value : d)))} form=${form}
                        canEdit=${canEdit} required testId=${`hours-holiday-${index}`} />
          ${canEdit ? html`<button type="button" class="secondary" aria-label=${`Remove holiday ${index + 1}`}
              onClick=${() => {
                set(holidays.filter((_, i) => i !== index));
                announce(`Holiday ${date} removed.`);
                requestAnimationFrame(() => document.getElementById(inputId('hours.holidays'))?.focus());
              }}>Remove</button>` : null}
        </div>`)}
      <${AddButton} path="hours.holidays" label="Add a holiday" form=${form} canEdit=${canEdit}
                    testId="hours-holiday-add" onAdd=${() => {
                      set([...holidays, '']);
                      requestAnimationFrame(() => document.getElementById(
                        inputId(`hours.holidays.${holidays.length}`))?.focus());
                    }} />
    </fieldset>`;
}

// One date's own periods instead of its weekday's (e.g. Christmas Eve 09:00-12:00), or closed all day.
function Overrides({ hours, setHours, form, canEdit, announce }) {
  const overrides = hours.overrides ?? [];
  const set = (next) => setHours({ overrides: next });
  const change = (index, patch) => set(overrides.map((o, i) => (i === index ? { ...o, ...patch } : o)));
  return html`
    <fieldset class="admin-group">
      <legend>Other hours on one date</legend>
      ${overrides.length === 0 ? html`<p class="muted">None.</p>` : null}
      ${overrides.map((override, index) => html`
        <div key=${index} class="admin-override" data-testid=${`hours-override-${index}`}>
          <div class="admin-period">
            <${TextField} path=${`hours.overrides.${index}.date`} type="date" label=${`Date ${index + 1}`}
                          value=${override.date} onValue=${(date) => change(index, { date })} form=${form}
                          canEdit=${canEdit} required />
            ${canEdit ? html`<button type="button" class="secondary" aria-label=${`Remove date ${index + 1}`}
                onClick=${() => {
                  set(overrides.filter((_, i) => i !== index));
                  announce(`Date ${index + 1} removed.`);
                  requestAnimationFrame(() => document.getElementById(inputId('hours.overrides'))?.focus());
                }}>Remove</button>` : null}
          </div>
          <${Periods} path=${`hours.overrides.${index}.periods`} name=${override.date || `Date ${index + 1}`}
                      periods=${override.periods ?? []} onValue=${(periods) => change(index, { periods })}
                      announce=${announce} form=${form} canEdit=${canEdit} testId=${`hours-override-${index}-day`} />
        </div>`)}
      <${AddButton} path="hours.overrides" label="Add a date with other hours" form=${form} canEdit=${canEdit}
                    testId="hours-override-add" onAdd=${() => {
                      set([...overrides, { date: '', periods: [] }]);
                      requestAnimationFrame(() => document.getElementById(
                        inputId(`hours.overrides.${overrides.length}.date`))?.focus());
                    }} />
    </fieldset>`;
}

// The texts' `closed` key: what the widget says out of hours, per language.
function ClosedTexts({ form, canEdit }) {
  const setText = (lang) => (value) => form.edit((current) => ({
    texts: { ...current.texts, [lang]: { ...current.texts[lang], closed: value } },
  }));
  return html`
    <fieldset class="admin-group">
      <legend>What the widget says out of hours</legend>
      ${LANGUAGES.map(([lang, name]) => html`
        <${TextField} key=${lang} path=${`texts.${lang}.closed`} label=${name} multiline maxlength="500"
                      value=${form.draft.texts?.[lang]?.closed ?? ''} onValue=${setText(lang)} form=${form}
                      canEdit=${canEdit} testId=${`hours-closed-${lang}`} />`)}
    </fieldset>`;
}

export default { id: 'hours', label: 'Opening hours', Page };

// The Call settings page's inputs (issue 13): a labelled field that shows the server's error for its setting
// (`data-field` is the setting's path in the PUT /settings answer, e.g. "callback.slots.3.capacity"), the weekly
// ranges of slots or hours, the holidays, and hours (opening or scheduling) made of both. Every input has a label;
// every list is edited with buttons, so that all of it works from the keyboard.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { LabelledCheck, LabelledField, numberInput, pathId, selectControl } from '/desk/labelled-field.js';

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

// The id an input of `path` gets: "callback.slots.3.capacity" -> "cs-callback-slots-3-capacity".
export const inputId = (path) => pathId('cs', path);

const LOOK = { field: 'cs-field', check: 'cs-field cs-check', hint: 'muted cs-hint', error: 'error cs-error' };
const messageOf = (path, errorAt, error) => (errorAt === path && error ? error.message : null);

// One setting: its label, the control (children, or an <input> built from `input`), a hint, and the error the
// server gave for it (errorAt === path). The control gets the id, aria-describedby and aria-invalid.
export function Field({ path, label, hint, errorAt, error, input = {}, className = 'cs-field', children }) {
  return html`<${LabelledField} id=${inputId(path)} label=${label} hint=${hint} className=${className} look=${LOOK}
    message=${messageOf(path, errorAt, error)} input=${{ 'data-field': path, ...input }} control=${children} />`;
}

// A <select> Field.
export function Choice({ path, label, hint, value, options, onChange, errorAt, error }) {
  return html`<${Field} path=${path} label=${label} hint=${hint} errorAt=${errorAt} error=${error}
    children=${selectControl({ value, options, onChange, more: { 'data-field': path } })} />`;
}

// A whole number Field; an emptied box is sent as null, which the server refuses by field.
export function NumberField({ path, label, hint, value, min, max, onChange, errorAt, error }) {
  return html`<${Field} path=${path} label=${label} hint=${hint} errorAt=${errorAt} error=${error}
    input=${numberInput({ value, min, max, onChange })} />`;
}

// A checkbox, its label after it.
export function Check({ path, label, checked, onChange, errorAt, error }) {
  return html`<${LabelledCheck} id=${inputId(path)} label=${label} checked=${checked} onChange=${onChange} look=${LOOK}
    message=${messageOf(path, errorAt, error)} input=${{ 'data-field': path }} />`;
}

// Ranges {weekday?, start, end, capacity?} at `path` (e.g. "callback.slots"): one row each, with Remove, and Add.
// `weekly`: each has a weekday; `capacity`: each has its number of callbacks (slots; not hours).
export function Ranges({ path, ranges, onChange, weekly = true, capacity = true, what, errorAt, error }) {
  const set = (i, patch) => onChange(ranges.map((range, at) => (at === i ? { ...range, ...patch } : range)));
  const add = () => {
    const last = ranges[ranges.length - 1];
    onChange([...ranges, { ...(weekly ? { weekday: last?.weekday ?? 'monday' } : {}), start: '09:00', end: '12:00',
      ...(capacity ? { capacity: 6 } : {}) }]);
  };
  const common = { errorAt, error, className: 'cs-field cs-cell' };
  return html`
    <ul class="cs-ranges" data-testid=${`${inputId(path)}-list`}>
      ${ranges.map((range, i) => html`
        <li class="cs-range" key=${i}>
          ${weekly ? html`<${Choice} path=${`${path}.${i}.weekday`} label=${`Day (${what} ${i + 1})`}
                                     value=${range.weekday} options=${WEEKDAYS.map((d, n) => [d, DAY_NAMES[n]])}
                                     onChange=${(weekday) => set(i, { weekday })} errorAt=${errorAt} error=${error} />`
            : null}
          <${Field} path=${`${path}.${i}.start`} label=${`From (${what} ${i + 1})`} ...${common}
                    input=${{ type: 'time', value: range.start, onInput: (e) => set(i, { start: e.currentTarget.value }) }} />
          <${Field} path=${`${path}.${i}.end`} label=${`To (${what} ${i + 1})`} ...${common}
                    input=${{ type: 'time', value: range.end, onInput: (e) => set(i, { end: e.currentTarget.value }) }} />
          ${capacity ? html`<${NumberField} path=${`${path}.${i}.capacity`} label=${`Callbacks (${what} ${i + 1})`}
                                           min="1" value=${range.capacity} errorAt=${errorAt} error=${error}
                                           onChange=${(value) => set(i, { capacity: value })} />` : null}
          <button type="button" class="secondary cs-remove" data-testid=${`${inputId(path)}-${i}-remove`}
                  onClick=${() => onChange(ranges.filter((_, at) => at !== i))}>Remove ${what} ${i + 1}</button>
        </li>`)}
    </ul>
    ${ranges.length ? null : html`<p class="muted cs-hint">None.</p>`}
    <button type="button" class="secondary" data-testid=${`${inputId(path)}-add`} onClick=${add}>Add a ${what}</button>`;
}

// Holidays {date, slots: [...]} at `path`: a date whose own ranges (none: closed all day) replace the weekly ones.
export function Holidays({ path, holidays, onChange, capacity = true, errorAt, error }) {
  const set = (i, patch) => onChange(holidays.map((day, at) => (at === i ? { ...day, ...patch } : day)));
  return html`
    <ul class="cs-holidays">
      ${holidays.map((day, i) => html`
        <li key=${i} class="cs-holiday">
          <${Field} path=${`${path}.${i}.date`} label=${`Holiday ${i + 1}`} errorAt=${errorAt} error=${error}
                    input=${{ type: 'date', value: day.date, onInput: (e) => set(i, { date: e.currentTarget.value }) }} />
          <${Ranges} path=${`${path}.${i}.slots`} ranges=${day.slots} weekly=${false} capacity=${capacity}
                     what=${`range of holiday ${i + 1}`} errorAt=${errorAt} error=${error}
                     onChange=${(slots) => set(i, { slots })} />
          ${day.slots.length ? null : html`<p class="muted cs-hint">Closed all day.</p>`}
          <button type="button" class="secondary cs-remove"
                  onClick=${() => onChange(holidays.filter((_, at) => at !== i))}>Remove holiday ${i + 1}</button>
        </li>`)}
    </ul>
    <button type="button" class="secondary" data-testid=${`${inputId(path)}-add`}
            onClick=${() => onChange([...holidays, { date: nextDate(), slots: [] }])}>Add a holiday</button>`;
}

function nextDate() {
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  return tomorrow.toISOString().slice(0, 10);
}

// Opening or scheduling hours at `path` ({slots, holidays}, no capacity): the weekly ranges and the holidays.
export function Hours({ path, hours, onChange, what, errorAt, error }) {
  const value = hours ?? { slots: [], holidays: [] };
  return html`
    <fieldset class="cs-hours" data-testid=${inputId(path)}>
      <legend>${what}</legend>
      <${Ranges} path=${`${path}.slots`} ranges=${value.slots} capacity=${false} what="range" errorAt=${errorAt}
                 error=${error} onChange=${(slots) => onChange({ ...value, slots })} />
      <h4 class="cs-subtitle">Holidays</h4>
      <${Holidays} path=${`${path}.holidays`} holidays=${value.holidays} capacity=${false} errorAt=${errorAt}
                   error=${error} onChange=${(holidays) => onChange({ ...value, holidays })} />
    </fieldset>`;
}

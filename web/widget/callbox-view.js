// Guichet widget, the callbox's elements and how they are drawn (callbox.js holds what they do): the callbox, shown in
// place of the conversation: the request form (number, name, optional email, now or a slot, "do not record me"),
// then the callback's state with Cancel and Change time. The entry under the conversation is callback-entry.js's.

import { isOpenCallback } from './callback-entry.js';
import { h } from './connection.js';
import { createSlotPicker, momentLabel } from './slot-picker.js';

// A labelled input with its error line (announced: aria-describedby, and aria-invalid while it shows).
function field(id, testId, attributes) {
  const label = h('label', { for: id });
  const input = h('input', { id, class: 'field', 'data-testid': testId, 'aria-describedby': `${id}-error`, ...attributes });
  const error = h('p', { id: `${id}-error`, class: 'field-error', 'data-testid': `${testId}-error`, hidden: '' });
  return { label, input, error, element: h('div', { class: 'callback-field' }, label, input, error) };
}

function radio(id, testId, value) {
  const input = h('input', { type: 'radio', name: 'callback-when', id, value, 'data-testid': testId });
  const label = h('label', { for: id });
  return { input, label, element: h('div', { class: 'check' }, input, label) };
}

export function build() {
  const title = h('h3', { id: 'callbox-title', class: 'settings-title', tabindex: '-1' });
  const intro = h('p', { class: 'hint' });
  const phone = field('callback-phone', 'guichet-callback-phone', {
    type: 'tel', autocomplete: 'tel', maxlength: '40', 'aria-required': 'true',
  });
  const name = field('callback-name', 'guichet-callback-name', { autocomplete: 'name', maxlength: '120', 'aria-required': 'true' });
  const email = field('callback-email', 'guichet-callback-email', { type: 'email', autocomplete: 'email', maxlength: '320' });
  const whenLegend = h('legend');
  const now = radio('callback-now', 'guichet-callback-now', 'now');
  const later = radio('callback-later', 'guichet-callback-later', 'later');
  const choice = h('div', { class: 'callback-choice' }, now.element, later.element);
  const nowOnly = h('p', { class: 'hint', 'data-testid': 'guichet-callback-now-only', hidden: '' });
  const picker = createSlotPicker('callback-slot', 'guichet-callback-slot');
  const whenError = h('p', { id: 'callback-when-error', class: 'field-error', 'data-testid': 'guichet-callback-when-error', hidden: '' });
  const when = h('fieldset', { class: 'callback-when', 'aria-describedby': 'callback-when-error' }, whenLegend, choice,
    nowOnly, picker.element, whenError);
  const noRecord = h('input', { id: 'callback-no-record', type: 'checkbox', 'data-testid': 'guichet-callback-no-record' });
  const noRecordLabel = h('label', { for: 'callback-no-record' });
  const noRecordRow = h('div', { class: 'check', hidden: '' }, noRecord, noRecordLabel);
  const error = h('p', { class: 'field-error', 'data-testid': 'guichet-callback-error', 'aria-live': 'polite', hidden: '' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-callback-submit' });
  const back = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-callback-back' });
  const form = h('form', { class: 'callback-form', 'data-testid': 'guichet-callback-form', novalidate: '' }, intro,
    phone.element, name.element, email.element, when, noRecordRow, error, h('div', { class: 'actions' }, submit, back));

  // The callback's state: read out when it changes (the panel's announcer), focused after a request.
  const state = h('p', { id: 'callback-state', class: 'callback-state', 'data-testid': 'guichet-callback-state', tabindex: '-1' });
  const cancel = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-callback-cancel' });
  const change = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-callback-change', 'aria-expanded': 'false' });
  const again = h('button', { type: 'button', class: 'primary', 'data-testid': 'guichet-callback-again' });
  const done = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-callback-done' });
  const statusError = h('p', { class: 'field-error', 'data-testid': 'guichet-callback-status-error', 'aria-live': 'polite', hidden: '' });
  const movePicker = createSlotPicker('callback-move', 'guichet-callback-move');
  const moveError = h('p', { class: 'field-error', 'data-testid': 'guichet-callback-move-error', 'aria-live': 'polite', hidden: '' });
  const moveSubmit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-callback-move-submit' });
  const moveKeep = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-callback-keep' });
  const moveForm = h('form', { class: 'callback-move', 'aria-labelledby': 'callback-state', novalidate: '', hidden: '' },
    movePicker.element, moveError, h('div', { class: 'actions' }, moveSubmit, moveKeep));
  const status = h('div', { class: 'callback-status', 'data-testid': 'guichet-callback-status', hidden: '' }, state,
    statusError, h('div', { class: 'actions' }, cancel, change, again), moveForm, h('div', { class: 'actions' }, done));

  const callbox = h('section', {
    id: 'callbox', class: 'settings callbox', 'data-testid': 'guichet-callbox', 'aria-labelledby': 'callbox-title', hidden: '',
  }, title, form, status);
  return {
    callbox,
    cb: {
      title, intro, phone, name, email, whenLegend, now, later, choice, nowOnly, picker, whenError,
      noRecord, noRecordLabel, noRecordRow, error, submit, back, form, state, cancel, change, again, done, statusError,
      movePicker, moveError, moveSubmit, moveKeep, moveForm, status,
    },
  };
}

// What callbox.js reads to decide, and render() draws with (through callback-entry.js): w.callbackOffers(),
// callbackChoices(), callbackText(), renderCallboxView(), applyCallboxViewTexts()...
export function install(w) {
  const { state, ui } = w;
  const { cb } = ui;
  Object.assign(w, {
    callbackOffers: offers, callbackZone: zone, pickerTexts, callbackChoices: choices, callbackRecorded: recordingOn,
    callbackText: stateText, renderCallboxView: renderCallbox, applyCallboxViewTexts: applyCallboxTexts,
  });

  function offers() {
    return state.callbackOffers || { immediate: false, scheduled: false, time_zone: null, slots: [] };
  }

  function zone() {
    return state.callbackOffers?.time_zone || null;
  }

  function pickerTexts() {
    return { day: w.t('day'), time: w.t('time'), zone: (name) => w.t('zone', name) };
  }

  // "Now" while immediate callback is offered (not after an expiry); a slot while scheduled callback is, or after an
  // expiry (CB-3), when a slot is free.
  function choices() {
    const { immediate, scheduled, slots } = offers();
    const nowOffered = immediate && !state.callbackWantsSlot;
    return { nowOffered, laterOffered: slots.length > 0 && (scheduled || state.callbackWantsSlot) };
  }

  function recordingOn() {
    return state.settings?.callback?.recording === true;
  }

  function stateText(callback) {
    const phone = String(callback?.phone ?? '');
    switch (callback?.state) {
      case 'booked':
        return callback.at ? w.t('stateBooked', phone, momentLabel(state.lang, callback.at, zone()))
          : w.t('stateBookedNow', phone);
      case 'calling':
        return w.t('stateCalling', phone);
      case 'retrying':
        return callback.next_at ? w.t('stateRetrying', momentLabel(state.lang, callback.next_at, zone(), false))
          : w.t('stateCalling', phone);
      case 'connected':
        return w.t('stateConnected');
      case 'ended':
        return w.t('stateEnded');
      case 'not_reached':
        return w.t('stateNotReached');
      case 'cancelled':
        return w.t('stateCancelled');
      case 'expired':
        return w.t('stateExpired');
      default:
        return '';
    }
  }

  // Called by render() (callback-entry.js): the callbox when it is shown.
  function renderCallbox() {
    const shown = state.view === 'callback';
    ui.callbox.hidden = !shown;
    if (!shown) return;
    const status = state.callbackView !== 'form' && state.callback !== null;
    cb.form.hidden = status;
    cb.status.hidden = !status;
    if (status) renderStatus();
    else renderForm();
  }

  function renderForm() {
    const { nowOffered, laterOffered } = choices();
    if (state.callbackFilled !== state.callbackOffers) {
      state.callbackFilled = state.callbackOffers;
      cb.picker.fill(offers().slots, state.lang, zone(), pickerTexts());
    }
    if (nowOffered && laterOffered && !cb.now.input.checked && !cb.later.input.checked) cb.now.input.checked = true;
    cb.choice.hidden = !(nowOffered && laterOffered);
    cb.nowOnly.hidden = laterOffered; // "we call you in a moment" when only now is offered; "no time is free" if none
    cb.nowOnly.textContent = nowOffered ? w.t('nowOnly') : w.t('noSlots');
    cb.picker.element.hidden = !laterOffered || (nowOffered && !cb.later.input.checked);
    cb.noRecordRow.hidden = !recordingOn();
    cb.submit.disabled = !(nowOffered || laterOffered);
  }

  function renderStatus() {
    const current = state.callback;
    const booked = current.state === 'booked';
    const moving = state.callbackView === 'move' && booked;
    cb.state.textContent = stateText(current);
    cb.cancel.hidden = !(booked || current.state === 'retrying') || moving;
    cb.change.hidden = !booked || current.mode !== 'scheduled' || offers().slots.length === 0 || moving;
    cb.change.setAttribute('aria-expanded', String(moving));
    cb.again.hidden = isOpenCallback(current);
    cb.again.textContent = current.state === 'expired' ? w.t('callbackPickTime') : w.t('callbackAgain');
    cb.moveForm.hidden = !moving;
  }

  function applyCallboxTexts() {
    cb.title.textContent = w.t('callbackTitle');
    cb.intro.textContent = w.t('callbackIntro');
    cb.phone.label.textContent = w.t('phoneLabel');
    cb.name.label.textContent = w.t('nameLabel');
    cb.email.label.textContent = w.t('callbackEmailLabel');
    cb.whenLegend.textContent = w.t('whenLegend');
    cb.now.label.textContent = w.t('whenNow');
    cb.later.label.textContent = w.t('whenLater');
    cb.noRecordLabel.textContent = w.t('noRecord');
    cb.submit.textContent = w.t('callbackSubmit');
    cb.back.textContent = w.t('callbackBack');
    cb.cancel.textContent = w.t('callbackCancel');
    cb.change.textContent = w.t('callbackChange');
    cb.done.textContent = w.t('callbackBack');
    cb.moveSubmit.textContent = w.t('callbackMove');
    cb.moveKeep.textContent = w.t('callbackKeep');
    state.callbackFilled = null; // the slots again, in the new language
  }
}

// Guichet widget, the callbox (issue 13: CB-1, CB-2, CB-9; docs/widget.md "Call me back"), imported on first use by
// callback-entry.js, which also keeps what is offered now (GET /callbacks/slots). The request (POST /callbacks), then
// the callback's state, live from the `callback.updated` frame, with Cancel (DELETE) and Change time (PATCH). The
// open callback's id is kept in localStorage (guichet:<tenant>:callback) so that a reload shows it again; a stored
// value that does not read back is dropped. The elements, texts and rendering are in callbox-view.js and
// callbox-texts.js; all text is set as text.

import { isOpenCallback } from './callback-entry.js';
import { build, install as installView } from './callbox-view.js';
import { CALLBOX_TEXTS } from './callbox-texts.js';
import { ApiError } from './connection.js';
import { isPlainObject, storage } from './loader.js';
import { isEmail } from './settings.js';
import { UI_TEXTS } from './texts.js';

const STORED_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TYPED_PHONE = /^\+?[\d ()./\-\u00a0]{2,40}$/; // what numbers.py reads; the server checks the rest

// Once, from callback-entry.js: the callbox's elements go in the panel, its texts join the widget's.
export function attach(w) {
  const { state, ui, api } = w;
  Object.entries(CALLBOX_TEXTS).forEach(([lang, texts]) => Object.assign(UI_TEXTS[lang], texts));
  Object.assign(ui, build());
  ui.panel.insertBefore(ui.callbox, ui.body);
  installView(w);
  const { cb } = ui;
  const { callbackKey } = w.keys;
  Object.assign(state, {
    callbackView: 'form', // 'form' | 'status' | 'move'
    callbackWantsSlot: false, // after an expiry: a slot is offered, not "now" (CB-3)
    callbackFilled: null, // the offers the form's picker was filled with
  });
  Object.assign(w, {
    openCallbox: showCallbox, hideCallbox, openCallback: showCallback, applyCallbackUpdate: callbackUpdated,
    resumeStoredCallback: resumeCallback, rereadCallback: refreshCallback,
  });
  w.applyCallboxViewTexts();

  cb.back.addEventListener('click', hideCallbox);
  cb.done.addEventListener('click', hideCallbox);
  cb.now.input.addEventListener('change', () => w.render());
  cb.later.input.addEventListener('change', () => w.render());
  cb.form.addEventListener('submit', (event) => {
    event.preventDefault();
    submitCallback();
  });
  cb.cancel.addEventListener('click', cancelCallback);
  cb.change.addEventListener('click', () => {
    state.callbackView = 'move';
    cb.movePicker.fill(w.callbackOffers().slots, state.lang, w.callbackZone(), w.pickerTexts(), state.callback?.slot);
    showError(cb.moveError, '');
    w.render();
    cb.movePicker.focus();
  });
  cb.moveKeep.addEventListener('click', () => {
    state.callbackView = 'status';
    w.render();
    cb.change.focus();
  });
  cb.moveForm.addEventListener('submit', (event) => {
    event.preventDefault();
    moveCallback();
  });
  cb.again.addEventListener('click', () => {
    state.callbackWantsSlot = state.callback?.state === 'expired';
    state.callback = null;
    state.callbackView = 'form';
    if (state.callbackWantsSlot) cb.later.input.checked = true;
    w.refreshCallbackOffers(true);
    w.render();
    cb.phone.input.focus();
  });

  // Keeps the visitor's callback; the stored id follows it: kept while open, dropped once it is over.
  function setCallback(callback) {
    if (!isPlainObject(callback) || typeof callback.id !== 'string') return false;
    state.callback = callback;
    if (isOpenCallback(callback)) storage.set(callbackKey, callback.id);
    else if (storage.get(callbackKey) === callback.id) storage.remove(callbackKey);
    return true;
  }

  function showCallbox() {
    state.view = 'callback';
    state.callbackView = state.callback ? 'status' : 'form';
    w.ensureInitialized(); // the visitor's session and the WebSocket that brings the live states
    w.refreshCallbackOffers(true); // "now" follows the agents' availability from one minute to the next
    w.render();
    cb.title.focus();
  }

  function hideCallbox() {
    state.view = 'chat';
    w.render();
    (ui.callbackOpen.offsetParent ? ui.callbackOpen : ui.input).focus();
  }

  // An email's link (or the page): the callbox on that callback, with Cancel and Change time.
  async function showCallback(id) {
    if (typeof id !== 'string' || !STORED_ID.test(id)) return;
    state.view = 'callback';
    state.callbackView = 'status';
    if (ui.panel.hidden) w.openPanel();
    w.ensureInitialized();
    await state.initialized;
    try {
      setCallback(await api.callback(id));
    } catch {
      if (state.callback?.id !== id) state.callbackView = 'form';
    }
    await w.refreshCallbackOffers(true);
    w.render();
    cb.title.focus();
  }

  // After a reload: the stored callback, if it is still open.
  async function resumeCallback() {
    const id = storage.get(callbackKey);
    if (!id) return;
    if (!STORED_ID.test(id)) {
      storage.remove(callbackKey);
      return;
    }
    try {
      const found = await api.callback(id);
      if (!setCallback(found) || !isOpenCallback(found)) {
        storage.remove(callbackKey);
        state.callback = null;
      }
    } catch (error) {
      // Not the visitor's, gone, or a malformed id: forgotten. A network failure keeps it for the next load.
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) storage.remove(callbackKey);
    }
    w.refreshCallbackOffers();
    w.render();
  }

  // After a reconnection: the states missed meanwhile.
  function refreshCallback() {
    const current = state.callback;
    if (!isOpenCallback(current)) return;
    api.callback(current.id).then(callbackUpdated).catch(() => {});
  }

  // `callback.updated` (or a read after a reconnection): the state, read out when it changed.
  function callbackUpdated(callback) {
    if (!isPlainObject(callback) || typeof callback.id !== 'string') return;
    const before = state.callback;
    if (before && before.id !== callback.id && isOpenCallback(before) && !isOpenCallback(callback)) return;
    const changed = !before || before.id !== callback.id || before.state !== callback.state
      || before.next_at !== callback.next_at || before.at !== callback.at;
    setCallback(callback);
    if (state.callbackView === 'move' && callback.state !== 'booked') state.callbackView = 'status';
    if (callback.state === 'expired') w.refreshCallbackOffers(true);
    w.render();
    if (changed) w.announce(w.callbackText(callback));
  }

  function showError(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  function fieldError(part, text) {
    showError(part.error, text);
    if (text) part.input.setAttribute('aria-invalid', 'true');
    else part.input.removeAttribute('aria-invalid');
    return part.input;
  }

  function laterChosen() {
    const { nowOffered, laterOffered } = w.callbackChoices();
    return laterOffered && (!nowOffered || cb.later.input.checked);
  }

  async function submitCallback() {
    [cb.phone, cb.name, cb.email].forEach((part) => fieldError(part, ''));
    showError(cb.whenError, '');
    showError(cb.error, '');
    const phone = cb.phone.input.value.trim();
    const name = cb.name.input.value.trim();
    const email = cb.email.input.value.trim();
    const invalid = [];
    if (!phone) invalid.push(fieldError(cb.phone, w.t('phoneMissing')));
    else if (!TYPED_PHONE.test(phone)) invalid.push(fieldError(cb.phone, w.t('phoneInvalid')));
    if (!name) invalid.push(fieldError(cb.name, w.t('nameMissing')));
    if (email && !isEmail(email)) invalid.push(fieldError(cb.email, w.t('invalidEmail')));
    const when = laterChosen() ? cb.picker.value() : 'now';
    if (!when) {
      showError(cb.whenError, w.t('pickTime'));
      invalid.push(cb.picker);
    }
    if (invalid.length > 0) {
      invalid[0].focus();
      return;
    }
    const body = { phone, name, when, do_not_record: w.callbackRecorded() && cb.noRecord.checked, language: state.lang };
    if (email) body.email = email;
    if (state.conversation?.id) body.conversation_id = state.conversation.id; // the chat it comes from (CB-12)
    cb.submit.disabled = true;
    try {
      w.ensureInitialized();
      await state.initialized;
      await w.ensureToken();
      const made = await api.requestCallback(body);
      setCallback(made);
      state.callbackView = 'status';
      state.callbackWantsSlot = false;
      w.render();
      w.announce(w.callbackText(made));
      cb.state.focus();
      w.refreshCallbackOffers(true); // the slot has one free time fewer
    } catch (error) {
      await refused(error, when);
    } finally {
      cb.submit.disabled = false;
    }
  }

  async function refused(error, when) {
    if (!(error instanceof ApiError)) {
      showError(cb.error, w.t('callbackFailed'));
      return;
    }
    if (error.code === 'slot_full' || (error.code === 'unavailable' && error.field === 'when')) {
      await w.refreshCallbackOffers(true);
      if (error.code === 'unavailable' && w.callbackOffers().slots.length > 0) state.callbackWantsSlot = true;
      const next = cb.picker.nextAfter(error.code === 'slot_full' ? when : '');
      if (next) {
        cb.later.input.checked = true;
        cb.picker.fill(w.callbackOffers().slots, state.lang, w.callbackZone(), w.pickerTexts(), next);
        state.callbackFilled = state.callbackOffers;
      }
      const text = error.code === 'unavailable' ? w.t('immediateGone') : w.t('slotFull', cb.picker.label(next));
      showError(cb.whenError, next ? text : w.t('noSlots'));
      w.render();
      cb.picker.focus();
      return;
    }
    if (error.field === 'phone') {
      // The server's words for a number it will not dial (numbers.py says why), next to the input.
      fieldError(cb.phone, error.code === 'conflict' ? w.t('callbackConflict') : error.message || w.t('phoneInvalid')).focus();
    } else if (error.field === 'name') {
      fieldError(cb.name, w.t('nameMissing')).focus();
    } else if (error.field === 'email') {
      fieldError(cb.email, w.t('invalidEmail')).focus();
    } else {
      showError(cb.error, error.code === 'rate_limited' ? w.t('callbackLimited') : w.t('callbackFailed'));
    }
  }

  async function cancelCallback() {
    const current = state.callback;
    if (!current) return;
    cb.cancel.disabled = true;
    showError(cb.statusError, '');
    try {
      const cancelled = await api.cancelCallback(current.id);
      callbackUpdated(cancelled);
      w.refreshCallbackOffers(true);
      cb.again.focus();
    } catch (error) {
      showError(cb.statusError, w.t('callbackFailed'));
      if (error instanceof ApiError && error.status === 404) refreshCallback();
    } finally {
      cb.cancel.disabled = false;
    }
  }

  async function moveCallback() {
    const current = state.callback;
    const key = cb.movePicker.value();
    showError(cb.moveError, '');
    if (!current) return;
    if (!key) {
      showError(cb.moveError, w.t('pickTime'));
      cb.movePicker.focus();
      return;
    }
    cb.moveSubmit.disabled = true;
    try {
      const moved = await api.moveCallback(current.id, key);
      state.callbackView = 'status';
      callbackUpdated(moved);
      cb.state.focus();
      w.refreshCallbackOffers(true);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'slot_full') {
        await w.refreshCallbackOffers(true);
        const next = cb.movePicker.nextAfter(key);
        cb.movePicker.fill(w.callbackOffers().slots, state.lang, w.callbackZone(), w.pickerTexts(), next);
        showError(cb.moveError, next ? w.t('slotFull', cb.movePicker.label(next)) : w.t('noSlots'));
      } else {
        showError(cb.moveError, w.t('callbackFailed'));
      }
      cb.movePicker.focus();
    } finally {
      cb.moveSubmit.disabled = false;
    }
  }
}

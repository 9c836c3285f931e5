// The customer's record (CHAT-8, CHAT-11): its card, or a form to create it prefilled with what the visitor gave,
// on the offer card and in the chat pane. The desk passes save(fields), which creates the record (REST) and answers
// it; a refusal is shown in the form.

import { ApiError } from '/widget/connection.js';
import { html, render, useState } from '/vendor/htm-preact-standalone.module.js';

export function ContactCard({ contact }) {
  const count = Number(contact.case_count) || 0;
  return html`
    <section class="contact-card" data-testid="contact-card" data-contact-id=${contact.id ?? ''}
             aria-label="Customer record">
      <h4>Customer record</h4>
      <p class="contact-card-name" data-testid="contact-card-name">${contact.name ?? ''}</p>
      ${contact.email ? html`<p data-testid="contact-card-email">${contact.email}</p>` : null}
      ${contact.phone ? html`<p data-testid="contact-card-phone">${contact.phone}</p>` : null}
      <p class="muted" data-testid="contact-card-cases" data-count=${String(count)}>
        ${`${count} earlier case${count === 1 ? '' : 's'}`}</p>
    </section>`;
}

// `where` ('offer' or 'chat') keeps the ids of the offer card's form and the chat pane's apart.
export function ContactForm({ conversation, where, save }) {
  const visitor = conversation.visitor ?? {};
  const key = `${where}-${conversation.id}`;
  const [error, setError] = useState(null); // {code, text} of the last refusal
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const value = (name) => form.elements[name].value.trim();
    const fields = { name: value('name') };
    if (value('email')) fields.email = value('email');
    if (value('phone')) fields.phone = value('phone');
    if (visitor.verified && visitor.external_id) fields.external_id = visitor.external_id;
    setError(null);
    setBusy(true);
    try {
      await save(fields);
    } catch (refusal) {
      setError({ code: refusal.code ?? 'not_connected', text: contactErrorText(refusal) });
      setBusy(false);
    }
  }

  const field = (label, name, testId, attributes, value) => html`
    <label for=${`${testId}-${key}`}>${label}</label>
    <input id=${`${testId}-${key}`} name=${name} data-testid=${testId} autocomplete="off" defaultValue=${value ?? ''}
           ...${attributes} />`;
  return html`
    <form class="contact-form" data-testid="contact-form" aria-label="Create customer record" noValidate
          onSubmit=${submit}>
      <h4>Create customer record</h4>
      ${field('Name', 'name', 'contact-name', { type: 'text', maxlength: '120' }, visitor.name)}
      ${field('Email', 'email', 'contact-email', { type: 'email', maxlength: '320' }, visitor.email)}
      ${field('Phone', 'phone', 'contact-phone', { type: 'tel', maxlength: '32' }, '')}
      <p class="error" data-testid="contact-error" role="alert" data-code=${error?.code} hidden=${!error}>
        ${error?.text ?? ''}</p>
      <div class="contact-actions">
        <button type="submit" data-testid="contact-save" disabled=${busy}>Save record</button>
      </div>
    </form>`;
}

export function contactErrorText(error) {
  if (!(error instanceof ApiError)) return 'Not connected: the record could not be saved. Try again.';
  if (error.code === 'conflict') {
    return `Another customer record already has this ${error.field === 'external_id' ? 'customer id' : 'email'}.`;
  }
  return `The record could not be saved: ${error.message}`;
}

// The offer card's record: the card, or for a new customer a note and the form; nothing while it is looked up.
export function renderOfferRecord(container, { contact, conversation, save }) {
  render(contact ? html`<${ContactCard} contact=${contact} />`
    : contact === null ? html`
      <p class="muted" data-testid="offer-no-contact">New customer: no record yet</p>
      <${ContactForm} key=${conversation.id} conversation=${conversation} where="offer" save=${save} />`
      : null, container);
}

// The chat pane's record; `shown` is 'card', 'form', 'none' (a closed chat without one) or 'loading'.
export function renderChatRecord(container, { shown, contact, conversation, save }) {
  const views = {
    card: () => html`<${ContactCard} contact=${contact} />`,
    form: () => html`<${ContactForm} key=${conversation.id} conversation=${conversation} where="chat" save=${save} />`,
    none: () => html`<p class="muted">No customer record.</p>`,
  };
  render(views[shown]?.() ?? null, container);
}

// The customer's record (CHAT-8, CHAT-11): its card, or a form to create it prefilled with what the visitor gave,
// on the offer card (OfferRecord) and in the chat pane (ChatRecord). createRecords looks the records up and creates
// them (REST); a refusal is shown in the form.

import { ApiError } from '/widget/connection.js';
import { html, useState } from '/vendor/htm-preact-standalone.module.js';

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

// The offer card's record (the store's knownContacts: the record, null for none, undefined while it is looked up):
// the card, or for a new customer a note and the form; nothing while it is looked up. `records` is what
// createRecords answered. The offer card renders this component.
export function OfferRecord({ conversation, store, records }) {
  const contact = store.knownContacts.get(conversation.id);
  if (contact) return html`<${ContactCard} contact=${contact} />`;
  if (contact === undefined) return null;
  return html`
    <p class="muted" data-testid="offer-no-contact">New customer: no record yet</p>
    <${ContactForm} key=${conversation.id} conversation=${conversation} where="offer"
      save=${(fields) => records.saveFromOffer(conversation, fields)} />`;
}

// The chat pane's record of a conversation view (view.contact: the record, null for none, undefined while it is
// looked up): the card, the form (open chat without one), or a note (closed chat without one). `records` is what
// createRecords answered. The chat header renders this component.
export function ChatRecord({ view, records }) {
  const { contact, conversation } = view;
  if (contact) return html`<${ContactCard} contact=${contact} />`;
  if (contact === undefined) return null;
  if (conversation.status === 'closed') return html`<p class="muted">No customer record.</p>`;
  return html`<${ContactForm} key=${conversation.id} conversation=${conversation} where="chat"
    save=${(fields) => records.saveFromChat(view, fields)} />`;
}

// The desk's side of the records: found with the offer (the store's knownContacts: conversation id -> record, or
// null for none), else looked up by the brand-signed external id or the email; created from either form.
// deps: store (knownContacts, conversations, changed); api (findContact, createContact); renderConversation(view);
// announce(text).
export function createRecords(deps) {
  const { knownContacts, conversations } = deps.store;

  const offerLookups = new Set(); // conversation ids whose offer's record is being looked up

  // The offer frame says whether the customer has a record; an offer read again from REST (after a reload or a
  // reconnect) does not, so the record is looked up as the chat pane does. The offer card (OfferRecord) shows it.
  function lookUpOffer(conversation) {
    if (knownContacts.has(conversation.id) || offerLookups.has(conversation.id)) return;
    offerLookups.add(conversation.id);
    find(conversation).then((found) => {
      offerLookups.delete(conversation.id);
      if (!knownContacts.has(conversation.id)) knownContacts.set(conversation.id, found);
      deps.store.changed();
    });
  }

  // After a reload the offer is gone: find the record again by the signed external id or the email.
  function lookUp(view) {
    if (view.contact !== undefined || view.contactLookup) return;
    view.contactLookup = true;
    find(view.conversation).then((found) => {
      if (view.contact !== undefined) return;
      view.contact = knownContacts.get(view.conversation.id) ?? found; // a record created meanwhile wins
      deps.renderConversation(view);
    });
  }

  // The customer's record by the brand-signed external id, else by email; null when none (or the search failed).
  async function find(conversation) {
    const visitor = conversation.visitor ?? {};
    const query = visitor.verified && visitor.external_id ? { external_id: visitor.external_id }
      : visitor.email ? { email: visitor.email } : null;
    if (!query) return null;
    try {
      const { contacts: found = [] } = await deps.api.findContact(query);
      return found[0] ?? null;
    } catch {
      return null;
    }
  }

  // The offer card form's save (OfferRecord): the card then shows the record, and the chat starts with it.
  function saveFromOffer(conversation, fields) {
    return save(conversation, fields, () => deps.store.changed());
  }

  // The chat form's save (ChatRecord): the record goes on the view, sent as contact_id when the chat ends (CHAT-11).
  function saveFromChat(view, fields) {
    return save(view.conversation, fields, (contact) => {
      view.contact = contact;
      deps.renderConversation(view);
    });
  }

  // Creates the record from the form's fields; a refusal is thrown back to the form, which shows it.
  async function save(conversation, fields, onSaved) {
    const contact = await deps.api.createContact(fields);
    knownContacts.set(conversation.id, contact); // a chat accepted later starts with this record
    onSaved(contact);
    const view = conversations.get(conversation.id);
    if (view && !view.contact) {
      view.contact = contact;
      deps.renderConversation(view);
    }
    deps.announce(`Customer record saved for ${contact.name}.`);
  }

  return { lookUpOffer, lookUp, saveFromOffer, saveFromChat };
}

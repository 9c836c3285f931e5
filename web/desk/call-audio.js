// The Call settings page's audio uploads (issue 13): hold music (CB-7) and the recording notice (CB-9). The admin
// picks a WAV or MP3 of at most 200 KB; the page decodes it with Web Audio, mixes it down to mono and resamples it
// to 8 kHz (OfflineAudioContext), writes a 16-bit PCM WAV (the only format PSTN audio plays) and PUTs it as base64
// to /callbacks/audio/{kind}. The server checks the header again and answers the key it set in the settings.

import { html, useEffect, useState } from '/vendor/htm-preact-standalone.module.js';
import { inputId } from '/desk/call-fields.js';

export const MAX_UPLOAD_BYTES = 200 * 1024;
export const MAX_SECONDS = 60; // the server's limit (chalicelib/domain/callbacks/audio.py)
const RATE = 8000;
const ACCEPTED = /\.(wav|mp3)$/i;

// Anything that is not a WAV or MP3 of at most 200 KB: the reason, said to the admin; null when it may be converted.
export function refusal(file) {
  if (!file) return 'Choose a file.';
  if (!ACCEPTED.test(file.name) && !['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/mpeg'].includes(file.type)) {
    return 'Choose a WAV or MP3 file.';
  }
  if (file.size > MAX_UPLOAD_BYTES) {
    return `This file has ${Math.ceil(file.size / 1024)} KB; choose one of at most ${MAX_UPLOAD_BYTES / 1024} KB.`;
  }
  return null;
}

// The file's sound as 8 kHz mono 16-bit PCM WAV bytes, with its duration in seconds.
export async function toPstnWav(bytes) {
  const decoded = await decode(bytes);
  if (decoded.duration > MAX_SECONDS) {
    throw new Error(`it lasts ${Math.round(decoded.duration)} s; at most ${MAX_SECONDS} s can be played`);
  }
  const frames = Math.max(1, Math.ceil(decoded.duration * RATE));
  const offline = new OfflineAudioContext(1, frames, RATE); // 1 channel: the graph mixes the file's channels down
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination);
  source.start();
  const rendered = await offline.startRendering();
  return { wav: wavBytes(rendered.getChannelData(0)), seconds: frames / RATE };
}

async function decode(bytes) {
  const Context = window.AudioContext || window.webkitAudioContext;
  // An AudioContext decodes at the device's rate; without one (no audio device), an offline context decodes too.
  const context = Context ? new Context() : new OfflineAudioContext(1, 1, 44100);
  try {
    return await context.decodeAudioData(bytes.slice(0));
  } catch {
    throw new Error('it is not a sound this browser can read (a WAV or MP3 file)');
  } finally {
    if (context.close) context.close().catch(() => {});
  }
}

// Float samples (-1..1) as a 16-bit PCM WAV file: the canonical 44-byte header, then the samples little-endian.
export function wavBytes(samples) {
  const out = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const text = (at, value) => [...value].forEach((c, i) => out.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  out.setUint32(4, 36 + samples.length * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  out.setUint32(16, 16, true);
  out.setUint16(20, 1, true); // PCM
  out.setUint16(22, 1, true); // mono
  out.setUint32(24, RATE, true);
  out.setUint32(28, RATE * 2, true);
  out.setUint16(32, 2, true);
  out.setUint16(34, 16, true);
  text(36, 'data');
  out.setUint32(40, samples.length * 2, true);
  samples.forEach((sample, i) => {
    const clamped = Math.max(-1, Math.min(1, sample));
    out.setInt16(44 + i * 2, clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff, true);
  });
  return new Uint8Array(out.buffer);
}

export function base64(bytes) {
  let binary = '';
  for (let at = 0; at < bytes.length; at += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(binary);
}

// One upload: the current key, a file input, and what happened. upload(kind, base64) PUTs it and answers
// {key, seconds}; onStored(kind, key) puts the key in the form; path: the setting ("callback.hold_music"); error:
// the server's error for it (e.g. recording on without a notice), shown under the input.
export function AudioUpload({ kind, path, label, hint, current, upload, onStored, error, announce }) {
  const [status, setStatus] = useState({ state: 'idle', text: '' });
  const id = inputId(path);
  useEffect(() => { // a newer refusal from the server replaces what the page said about the last file
    if (error) setStatus({ state: 'idle', text: '' });
  }, [error]);
  const problem = status.state === 'error' ? status.text : error;
  async function chosen(event) {
    const input = event.currentTarget;
    const file = input.files?.[0];
    const refused = refusal(file);
    if (refused) {
      setStatus({ state: 'error', text: refused });
      input.value = '';
      return;
    }
    setStatus({ state: 'busy', text: `Converting ${file.name} to 8 kHz mono WAV…` });
    try {
      const { wav } = await toPstnWav(await file.arrayBuffer());
      const answer = await upload(kind, base64(wav));
      onStored(kind, answer.key);
      const done = `${label} saved: ${answer.seconds} s, converted from ${file.name}.`;
      setStatus({ state: 'done', text: done });
      announce(done);
    } catch (failure) {
      setStatus({ state: 'error', text: `Could not use ${file.name}: ${failure.message}` });
    }
    input.value = '';
  }
  return html`
    <div class="cs-field cs-upload" data-testid=${`${id}-upload`} data-state=${status.state}>
      <label for=${id}>${label}</label>
      <p id=${`${id}-hint`} class="muted cs-hint">${hint} Now: <span data-testid=${`${id}-key`}>${
        current || 'none'}</span>.</p>
      <input id=${id} type="file" accept=".wav,.mp3,audio/wav,audio/mpeg" data-testid=${id} data-field=${path}
             aria-describedby=${`${id}-hint ${id}-status`} aria-invalid=${problem ? 'true' : undefined}
             disabled=${status.state === 'busy'} onChange=${chosen} />
      <p id=${`${id}-status`} class=${problem ? 'error cs-error' : 'muted cs-hint'} data-testid=${`${id}-status`}
         role=${problem ? 'alert' : undefined}>${problem || (status.state === 'idle' ? '' : status.text)}</p>
    </div>`;
}

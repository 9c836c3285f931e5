// Offer alerts: a beep and a notification.

// Browsers allow sound and the notification prompt only after a user gesture: prepare() runs on
// the sign-in click, or on the first click or key press of a restored session. Both are optional:
// a denied permission or a blocked AudioContext just means no sound or no notification.
export const alerts = (() => {
  let audio = null;

  function prepare() {
    try {
      const AudioContextClass = window.AudioContext || window.webkitAudioContext;
      if (!audio && AudioContextClass) audio = new AudioContextClass();
      if (audio?.state === 'suspended') audio.resume().catch(() => {});
    } catch {
      audio = null;
    }
    try {
      if ('Notification' in window && Notification.permission === 'default') {
        Promise.resolve(Notification.requestPermission()).catch(() => {});
      }
    } catch {
      // an old browser with the callback-only API, or a context that forbids asking
    }
  }

  // One oscillator plays both notes, so that one offer is one sound (and can be counted as such).
  function beep() {
    if (!audio || audio.state !== 'running') return;
    try {
      const start = audio.currentTime;
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = 'sine';
      gain.gain.setValueAtTime(0.0001, start);
      [[0, 880], [0.18, 1175]].forEach(([offset, frequency]) => {
        oscillator.frequency.setValueAtTime(frequency, start + offset);
        gain.gain.setValueAtTime(0.0001, start + offset);
        gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.15);
      });
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start);
      oscillator.stop(start + 0.34);
    } catch {
      // no sound is not an error
    }
  }

  function notify(title, body, tag) {
    try {
      if (!('Notification' in window) || Notification.permission !== 'granted') return;
      const notification = new Notification(title, { body, tag }); // plain text, never markup
      notification.onclick = () => {
        window.focus();
        notification.close();
      };
    } catch {
      // e.g. a browser that only shows notifications from a service worker
    }
  }

  return { prepare, beep, notify };
})();

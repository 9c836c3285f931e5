// The signed-in agent's session, kept in sessionStorage for the tab's life.

const SESSION_KEY = 'guichet:desk:session';

export function loadSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    if (!session?.id_token || (session.expires_at && session.expires_at < Date.now())) return null;
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

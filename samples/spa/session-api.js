// A small client for the session API. Every call sends the session cookies (credentials: 'include'), which works
// same-origin and, with the SPA's origin in the API's CORS allow-list, cross-origin.

export class SessionApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function createSessionApi(baseUrl) {
  const url = `${baseUrl}/api/session`;

  async function call(method, path = '', body) {
    const response = await fetch(url + path, {
      method,
      credentials: 'include',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    const payload = await response.json().catch(() => null);
    if (!response.ok) throw new SessionApiError(response.status, payload);
    return payload;
  }

  return {
    /** The current session, or null when there is none. */
    async get() {
      try {
        return await call('GET');
      } catch (error) {
        if (error instanceof SessionApiError && error.status === 404) return null;
        throw error;
      }
    },
    /** Replaces the session's fields (creates a session when there is none). */
    save: (fields) => call('PUT', '', fields),
    /** A new session id holding these fields: use it at login. */
    regenerate: (fields) => call('POST', '/regenerate', fields),
    remove: () => call('DELETE'),
  };
}

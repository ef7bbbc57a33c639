namespace SessionFunctions.Configuration;

/// <summary>
/// Options of the session API, bound from the <c>Session</c> configuration section. Names and defaults follow
/// koa-generic-session; the configuration table of docs/operations.md maps each one to its koa name.
/// </summary>
public sealed class SessionApiOptions
{
    /// <summary>koa <c>key</c>: the sid cookie's name. Default <c>"koa.sid"</c>.</summary>
    public string Key { get; set; } = SessionApiDefaults.Key;

    /// <summary>
    /// koa <c>app.keys</c>: the Keygrip signing keys. Required. The first signs; every key verifies; a cookie signed
    /// with an older key is re-signed with the first. Default: none.
    /// </summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>koa <c>prefix</c>: prepended to the sid to make the store key. Default <c>"koa:sess:"</c>.</summary>
    public string Prefix { get; set; } = SessionApiDefaults.Prefix;

    /// <summary>koa <c>ttl</c>: the store TTL in milliseconds, overriding the cookie's. Default: none (derived from the cookie).</summary>
    public long? Ttl { get; set; }

    /// <summary>
    /// Not in koa: the absolute timeout in milliseconds (OWASP). A session older than this since its creation is gone,
    /// however active it is; regenerate keeps the creation time, and the store TTL never reaches past it. The creation
    /// time is kept as <c>cookie.created</c>. Default: none (only the idle timeout, koa's TTL).
    /// </summary>
    public long? AbsoluteTimeout { get; set; }

    /// <summary>
    /// Not in koa: a JSON pointer (RFC 6901) to the user id in the session, e.g. <c>/user/id</c>. When set, every save of
    /// a session with a user id (a string or a number there) puts it in that user's index, which the
    /// <c>/api/session/all</c> endpoints list and sign out. Default: none (no index, and no extra store command).
    /// </summary>
    public string? UserIdPath { get; set; }

    /// <summary>
    /// Not in koa: with <see cref="UserIdPath"/>, the most sessions one user keeps. A login past it signs out the user's
    /// least recently seen sessions, so a user's list, and what a sign-out reads, stay bounded however often the user logs
    /// in. At least 1, at most 1000. Default 50.
    /// </summary>
    public int MaxSessionsPerUser { get; set; } = SessionApiDefaults.MaxSessionsPerUser;

    /// <summary>
    /// Not in koa: JSON pointers (RFC 6901) to the fields that say who the user is, which a client of this API can never
    /// add, change or remove (<c>403 protected-field</c>); only a verified login (<see cref="Login"/>) and server-side
    /// writers of the store, such as a Koa app, write them. A <c>PUT</c> that leaves one out keeps it, as it keeps the
    /// <c>cookie</c> object; a body that sends the value already stored is allowed. Default: the top member of
    /// <see cref="UserIdPath"/> (<c>/user</c> for <c>/user/id</c>), else <c>/user</c>; none when
    /// <see cref="DangerouslyTrustClientsWithUserId"/> is set. A configured list replaces the default.
    /// </summary>
    public List<string>? ProtectedPaths { get; set; }

    /// <summary>
    /// Not in koa, and dangerous: let any client write who the user is. The default protected fields
    /// (<see cref="ProtectedPaths"/>) are then none, and <see cref="UserIdPath"/> starts without a verified login, so any
    /// browser can claim any user id, list that user's devices and sign them out, and impersonate the user to a Koa app
    /// sharing the store. For tests and for deployments whose every client is trusted. Default <c>false</c>.
    /// </summary>
    public bool DangerouslyTrustClientsWithUserId { get; set; }

    /// <summary>
    /// Not in koa: the verified login, <c>POST /api/session/regenerate</c> with <c>Authorization: Bearer</c> and an OpenID
    /// Connect ID token, which writes the token's claims into the protected fields. Off until
    /// <see cref="SessionLoginOptions.Authority"/> or <see cref="SessionLoginOptions.SigningKeys"/> is set.
    /// </summary>
    public SessionLoginOptions Login { get; set; } = new();

    /// <summary>koa <c>cookie</c>: the cookie attributes of new sessions.</summary>
    public SessionCookieOptions Cookie { get; set; } = new();

    /// <summary>koa <c>rolling</c>: re-save and re-send the cookie on every request with a session. Default <c>false</c>.</summary>
    public bool Rolling { get; set; }

    /// <summary>koa <c>allowEmpty</c>: save new sessions that hold no fields. Default <c>false</c>.</summary>
    public bool AllowEmpty { get; set; }

    /// <summary>koa <c>reconnectTimeout</c>: how long, in milliseconds, to wait for an unavailable store before failing with 503. Default 10000.</summary>
    public int ReconnectTimeout { get; set; } = SessionApiDefaults.ReconnectTimeout;

    /// <summary>
    /// koa <c>app.proxy</c>: trust the first <c>X-Forwarded-Proto</c> value, so that <c>secure</c> is automatic behind a
    /// TLS-terminating proxy. Default <c>false</c>.
    /// </summary>
    public bool TrustForwardedProto { get; set; }

    /// <summary>
    /// Not in koa: the store TTL in milliseconds when koa's rule yields none (a browser-session cookie with no
    /// <see cref="Ttl"/>), so that no key lives forever. Default 86400000 (one day).
    /// </summary>
    public long FallbackTtl { get; set; } = SessionApiDefaults.FallbackTtl;

    /// <summary>
    /// Not in koa: send <c>Clear-Site-Data: "cookies"</c> on remove, as OWASP advises at logout. It clears every cookie
    /// of the API's site (registrable domain), so turn it off when other apps on that site keep cookies. Default <c>true</c>.
    /// </summary>
    public bool ClearSiteData { get; set; } = true;

    /// <summary>Not in koa: the largest request body, in bytes; a larger one gets 413. Default 65536.</summary>
    public int MaxBodyBytes { get; set; } = SessionApiDefaults.MaxBodyBytes;

    /// <summary>
    /// Not in koa: how many sessions this instance remembers the stored value of, so that a save can write at once
    /// instead of reading first (one Redis command instead of two). The write still checks what it replaced, so a stale
    /// memory costs a second write, never a lost update. At most 4096 characters per value; 0 turns it off.
    /// Default 4096.
    /// </summary>
    public int RecentSessions { get; set; } = SessionApiDefaults.RecentSessions;
}

namespace SessionFunctions.Configuration;

/// <summary>
/// koa's <c>cookie</c> option: the attributes every new session starts with. Each session keeps its own copy
/// in the stored JSON (the <c>cookie</c> sub-object), and that copy drives its Set-Cookie headers and its TTL.
/// </summary>
public sealed class SessionCookieOptions
{
    /// <summary>koa <c>cookie.httpOnly</c>. Default <c>true</c>.</summary>
    public bool HttpOnly { get; set; } = true;

    /// <summary>koa <c>cookie.path</c>. Default <c>"/"</c>.</summary>
    public string Path { get; set; } = "/";

    /// <summary>koa <c>cookie.overwrite</c>. Default <c>true</c>. Stored for koa; the service always overwrites its own cookies.</summary>
    public bool Overwrite { get; set; } = true;

    /// <summary>koa <c>cookie.signed</c>: whether the <c>.sig</c> cookie is written and required. Default <c>true</c>.</summary>
    public bool Signed { get; set; } = true;

    /// <summary>
    /// koa <c>cookie.maxAge</c> in milliseconds. Default <see cref="SessionApiDefaults.MaxAge"/> (one day).
    /// Empty (null) or 0 makes a browser-session cookie (no <c>expires</c>).
    /// </summary>
    public long? MaxAge { get; set; } = SessionApiDefaults.MaxAge;

    /// <summary>koa <c>cookie.domain</c>. Default: none (host-only cookie).</summary>
    public string? Domain { get; set; }

    /// <summary>koa <c>cookie.sameSite</c>: <c>lax</c>, <c>strict</c> or <c>none</c>. Default: not set (koa's default).</summary>
    public string? SameSite { get; set; }

    /// <summary>
    /// koa <c>cookie.secure</c>. Default: not set, which means automatic: <c>secure</c> is added when the request
    /// is HTTPS (or <see cref="SessionApiOptions.TrustForwardedProto"/> says it was).
    /// </summary>
    public bool? Secure { get; set; }
}

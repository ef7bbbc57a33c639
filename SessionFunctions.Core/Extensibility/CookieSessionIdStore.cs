using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;

namespace SessionFunctions.Extensibility;

/// <summary>koa's default <c>sessionIdStore</c>: the <c>koa.sid</c> + <c>koa.sid.sig</c> cookie pair, signed with Keygrip.</summary>
public sealed class CookieSessionIdStore : ISessionIdStore
{
    private readonly SessionApiOptions _options;
    private readonly Keygrip _keygrip;
    private readonly TimeProvider _time;
    private readonly string _sigName;

    public CookieSessionIdStore(IOptions<SessionApiOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _keygrip = new Keygrip(_options.Keys);
        _time = time;
        _sigName = _options.Key + ".sig";
    }

    public IncomingSessionId Get(HttpContext http)
    {
        var sid = RequestCookies.Get(http.Request, _options.Key);
        if (string.IsNullOrEmpty(sid)) return IncomingSessionId.None;
        if (!_options.Cookie.Signed) return new IncomingSessionId(sid);

        var signature = RequestCookies.Get(http.Request, _sigName);
        if (signature is null) return new IncomingSessionId(null, Stale: true);
        return _keygrip.Index(SignedData(sid), signature) switch
        {
            < 0 => new IncomingSessionId(null, Stale: true),
            0 => new IncomingSessionId(sid),
            _ => new IncomingSessionId(sid, SignedWithOldKey: true),
        };
    }

    public void Set(HttpContext http, string sessionId, SessionCookie cookie) =>
        Write(http, sessionId, cookie, cookie.ExpiresAt(_time.GetUtcNow()));

    /// <remarks>
    /// Unlike koa, the clearing pair carries the session's path, domain, SameSite and Secure: a browser only removes a
    /// cookie whose path and domain match, and will not accept a cross-site cookie without SameSite=None; Secure.
    /// </remarks>
    public void Reset(HttpContext http, SessionCookie cookie) => Write(http, "", cookie, SetCookieHeader.Epoch);

    private void Write(HttpContext http, string value, SessionCookie cookie, DateTimeOffset? expires)
    {
        var secure = cookie.Secure ?? RequestSecurity.IsSecure(http.Request, _options.TrustForwardedProto);
        SetCookieHeader.Append(http.Response, _options.Key, SetCookieHeader.Format(_options.Key, value, cookie, secure, expires));
        if (_options.Cookie.Signed)
        {
            var signature = _keygrip.Sign(SignedData(value));
            SetCookieHeader.Append(http.Response, _sigName, SetCookieHeader.Format(_sigName, signature, cookie, secure, expires));
        }
    }

    private string SignedData(string sid) => _options.Key + "=" + sid;
}

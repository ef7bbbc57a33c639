using Microsoft.AspNetCore.Http;
using SessionFunctions.Cookies;

namespace SessionFunctions.Extensibility;

/// <summary>
/// koa's <c>sessionIdStore</c> (get/set/reset): how the sid travels between client and service.
/// Default: <see cref="CookieSessionIdStore"/>, koa's signed cookie pair.
/// </summary>
public interface ISessionIdStore
{
    IncomingSessionId Get(HttpContext http);

    /// <summary>Sends <paramref name="sessionId"/> to the client with the session's cookie attributes.</summary>
    void Set(HttpContext http, string sessionId, SessionCookie cookie);

    /// <summary>Tells the client to drop its sid.</summary>
    void Reset(HttpContext http, SessionCookie cookie);
}

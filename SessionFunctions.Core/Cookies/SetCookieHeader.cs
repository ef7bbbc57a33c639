using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace SessionFunctions.Cookies;

/// <summary>
/// Writes Set-Cookie headers exactly as pillarjs/cookies does: lower-case attributes in its order
/// (path, expires, domain, priority, samesite, secure, httponly, partitioned), <c>expires</c> as an RFC 1123 date,
/// and never <c>Max-Age</c>. Appending a cookie first removes any earlier header for the same name (koa's <c>overwrite</c>).
/// </summary>
internal static class SetCookieHeader
{
    /// <summary>The date koa writes on clearing cookies.</summary>
    public static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    public static string Format(string name, string value, SessionCookie cookie, bool secure, DateTimeOffset? expires)
    {
        var header = new StringBuilder(160).Append(name).Append('=').Append(value);
        header.Append("; path=").Append(cookie.Path);
        if (expires is { } at)
            header.Append("; expires=").Append(at.UtcDateTime.ToString("R", CultureInfo.InvariantCulture));
        if (cookie.Domain is not null) header.Append("; domain=").Append(cookie.Domain);
        if (cookie.Priority is not null) header.Append("; priority=").Append(cookie.Priority);
        if (cookie.SameSite is not null) header.Append("; samesite=").Append(cookie.SameSite);
        if (secure) header.Append("; secure");
        if (cookie.HttpOnly) header.Append("; httponly");
        if (cookie.Partitioned) header.Append("; partitioned");
        return header.ToString();
    }

    /// <summary>Appends <paramref name="header"/>, replacing any Set-Cookie already queued for <paramref name="name"/>.</summary>
    public static void Append(HttpResponse response, string name, string header)
    {
        var prefix = name + "=";
        var kept = response.Headers.SetCookie.Where(h => h is not null && !h.StartsWith(prefix, StringComparison.Ordinal));
        response.Headers.SetCookie = new StringValues([.. kept, header]);
    }
}

using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Cookies;

/// <summary>Koa's <c>ctx.request.secure</c>: HTTPS, or with <c>app.proxy</c> the first <c>X-Forwarded-Proto</c> value.</summary>
internal static class RequestSecurity
{
    public static bool IsSecure(HttpRequest request, bool trustForwardedProto)
    {
        if (request.IsHttps) return true;
        if (!trustForwardedProto) return false;
        var forwarded = request.Headers["X-Forwarded-Proto"].ToString();
        var first = forwarded.Split(',', 2)[0].Trim();
        return string.Equals(first, "https", StringComparison.OrdinalIgnoreCase);
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;

namespace SessionFunctions.Http;

/// <summary>
/// CSRF protection for every state-changing request (POST, PUT, PATCH, DELETE), following OWASP: Fetch Metadata
/// (<c>Sec-Fetch-Site</c>) first, and <c>Origin</c>/<c>Referer</c> against the allow-list and the API's own origin when
/// a browser sends no Fetch Metadata. A request with none of these headers does not come from a browser page (curl,
/// server-to-server), so it is not a CSRF vector and passes. GET never changes state and is never checked.
/// </summary>
internal sealed class CrossSiteRequestGuard(IOptions<CrossOriginOptions> cors, IOptions<SessionApiOptions> session)
{
    private readonly IReadOnlySet<string> _allowed = cors.Value.Normalized();
    private readonly bool _trustForwardedProto = session.Value.TrustForwardedProto;

    /// <summary>Why the request must be rejected, or null when it may proceed.</summary>
    public string? Check(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
            return null;

        var fetchSite = request.Headers["Sec-Fetch-Site"].ToString();
        switch (fetchSite)
        {
            case "same-origin":
            case "none": // typed by the user, not caused by another page
                return null;
            case "same-site":
            case "cross-site":
                return IsTrusted(request, RequestOrigin(request))
                    ? null
                    : $"A {fetchSite} request from {RequestOrigin(request) ?? "an unknown origin"} is not allowed to change the session; add the SPA's origin to Cors:AllowedOrigins.";
        }

        var origin = RequestOrigin(request);
        if (origin is null && !request.Headers.ContainsKey("Origin") && !request.Headers.ContainsKey("Referer"))
            return null; // not a browser: no Fetch Metadata, no Origin, no Referer
        return IsTrusted(request, origin)
            ? null
            : $"A request from {origin ?? "an opaque origin"} is not allowed to change the session; add the SPA's origin to Cors:AllowedOrigins.";
    }

    /// <summary>The page's origin: <c>Origin</c>, else the origin of <c>Referer</c>; null when absent or opaque ("null").</summary>
    private static string? RequestOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0) return CrossOriginOptions.Normalize(origin);
        return CrossOriginOptions.Normalize(request.Headers.Referer.ToString());
    }

    private bool IsTrusted(HttpRequest request, string? origin) =>
        origin is not null && (_allowed.Contains(origin) || origin == OwnOrigin(request));

    private string? OwnOrigin(HttpRequest request)
    {
        var scheme = RequestSecurity.IsSecure(request, _trustForwardedProto) ? "https" : "http";
        return CrossOriginOptions.Normalize($"{scheme}://{request.Host.Value}");
    }
}

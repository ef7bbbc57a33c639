using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;

namespace SessionFunctions.Functions;

/// <summary>
/// <c>Access-Control-Expose-Headers</c> for the origins of <c>Cors:AllowedOrigins</c>. The Functions host answers CORS
/// itself (preflights, <c>Access-Control-Allow-Origin</c> and <c>-Credentials</c>) but its settings have no exposed
/// headers, so without this a cross-origin script could not read the ETag it must send back in <c>If-Match</c>. Only
/// this header is added: the host adds the others, and a second <c>Access-Control-Allow-Origin</c> would make the
/// browser refuse the response.
/// </summary>
public sealed class CrossOriginReadableHeaders(IOptions<CrossOriginOptions> origins)
{
    private readonly IReadOnlySet<string> _origins = origins.Value.Normalized();
    private readonly string _exposed = string.Join(", ", CrossOriginOptions.ExposedResponseHeaders);

    /// <summary>Adds the header to the response when the request comes from an allowed origin.</summary>
    public void Apply(HttpContext http)
    {
        if (CrossOriginOptions.Normalize(http.Request.Headers.Origin) is { } origin && _origins.Contains(origin))
            http.Response.Headers.AccessControlExposeHeaders = _exposed;
    }
}

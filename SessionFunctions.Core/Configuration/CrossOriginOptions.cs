namespace SessionFunctions.Configuration;

/// <summary>
/// The browser origins trusted to call the API with credentials, bound from the <c>Cors</c> configuration section.
/// The standalone server answers CORS for them; both hosts' CSRF check accepts state-changing requests from them.
/// </summary>
public sealed class CrossOriginOptions
{
    /// <summary>The configuration section.</summary>
    public const string ConfigurationSection = "Cors";

    /// <summary>
    /// The response headers a cross-origin script may read: the ETag to send back in <c>If-Match</c>, when the session
    /// ends, and when to retry. Both hosts expose exactly these (the Functions host's own CORS exposes none).
    /// </summary>
    internal static readonly IReadOnlyList<string> ExposedResponseHeaders = ["ETag", "Session-Idle-Expires", "Session-Absolute-Expires", "Retry-After"];

    /// <summary>
    /// Origins such as <c>https://app.example.com</c> (scheme, host and port only). An entry may hold several,
    /// comma-separated. Default: none, which means same-origin only. A wildcard is refused: browsers never send
    /// credentials to <c>*</c>, and reflecting any origin would defeat CSRF protection.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>The allowed origins, normalised (lower case, default ports dropped); invalid entries are left out.</summary>
    public IReadOnlySet<string> Normalized() =>
        AllowedOrigins.SelectMany(o => o.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Select(Normalize).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary><c>scheme://host[:port]</c> of an origin or URL, or null when it is not an absolute http(s) URL.</summary>
    public static string? Normalize(string? value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return null;
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}

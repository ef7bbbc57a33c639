using System.Text.RegularExpressions;

namespace SessionFunctions.Configuration;

/// <summary>The attribute checks of pillarjs/cookies 0.9.2 (RFC 6265), shared by option validation and request validation.</summary>
internal static partial class CookieAttributes
{
    public static bool IsValidPath(string? path) => !string.IsNullOrEmpty(path) && PathRegex().IsMatch(path);

    public static bool IsValidDomain(string? domain) => !string.IsNullOrEmpty(domain) && DomainRegex().IsMatch(domain);

    /// <summary>koa accepts <c>true</c> (= strict) or lax/none/strict in any case and writes them in lower case.</summary>
    public static string? NormalizeSameSite(string value) => value.ToLowerInvariant() switch
    {
        "lax" => "lax",
        "strict" or "true" => "strict",
        "none" => "none",
        _ => null,
    };

    /// <summary>
    /// Browsers drop a <c>SameSite=None</c> cookie that is not <c>Secure</c>. <paramref name="secure"/> null means
    /// automatic, which is secure only when <paramref name="requestIsSecure"/>.
    /// </summary>
    public static bool SameSiteNoneLacksSecure(string? sameSite, bool? secure, bool requestIsSecure) =>
        sameSite is not null && NormalizeSameSite(sameSite) == "none" && !(secure ?? requestIsSecure);

    public static string? NormalizePriority(string value) => value.ToLowerInvariant() switch
    {
        "low" or "medium" or "high" => value.ToLowerInvariant(),
        _ => null,
    };

    [GeneratedRegex(@"^[\u0020-\u003A\u003D-\u007E]*$")]
    private static partial Regex PathRegex();

    [GeneratedRegex(@"^(?=.{1,253}$)\.?(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")]
    private static partial Regex DomainRegex();
}

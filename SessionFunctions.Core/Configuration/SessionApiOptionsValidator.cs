using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SessionFunctions.Cookies;

namespace SessionFunctions.Configuration;

/// <summary>
/// Checks <see cref="SessionApiOptions"/> at startup. Every failure names the configuration setting, so that a
/// misconfigured deployment stops with a message that says what to fix.
/// </summary>
internal sealed partial class SessionApiOptionsValidator : IValidateOptions<SessionApiOptions>
{
    /// <summary>The largest <see cref="SessionApiOptions.MaxSessionsPerUser"/>: listing a user's sessions reads each one.</summary>
    internal const int MaxSessionsPerUserLimit = 1000;

    public ValidateOptionsResult Validate(string? name, SessionApiOptions options)
    {
        var errors = new List<string>();
        void Fail(string setting, string message) => errors.Add($"{SessionApiDefaults.ConfigurationSection}:{setting}: {message}");

        if (!IsCookieName(options.Key))
            Fail("Key", $"'{options.Key}' is not a valid cookie name (RFC 6265 token characters only).");
        if (options.Keys.Count == 0)
            Fail("Keys", "at least one signing key is required (Session__Keys__0). The first key signs; all keys verify.");
        for (var i = 0; i < options.Keys.Count; i++)
        {
            if (string.IsNullOrEmpty(options.Keys[i]))
                Fail($"Keys:{i}", "a signing key must not be empty.");
        }
        if (options.Prefix is null)
            Fail("Prefix", "must be set; use an empty value for no prefix.");
        if (options.Ttl is <= 0)
            Fail("Ttl", $"must be a positive number of milliseconds, or unset; got {options.Ttl}.");
        if (options.AbsoluteTimeout is <= 0)
            Fail("AbsoluteTimeout", $"must be a positive number of milliseconds, or unset; got {options.AbsoluteTimeout}.");
        if (options.UserIdPath is { } userIdPath && (userIdPath.Length < 2 || userIdPath[0] != '/'))
            Fail("UserIdPath", $"must be a JSON pointer to a field of the session, such as /user/id, or unset; got '{userIdPath}'.");
        if (options.MaxSessionsPerUser is < 1 or > MaxSessionsPerUserLimit)
            Fail("MaxSessionsPerUser", $"must be between 1 and {MaxSessionsPerUserLimit} sessions; got {options.MaxSessionsPerUser}.");
        ValidateTrust(options, Fail);
        if (options.FallbackTtl <= 0)
            Fail("FallbackTtl", $"must be a positive number of milliseconds; got {options.FallbackTtl}.");
        if (options.ReconnectTimeout <= 0)
            Fail("ReconnectTimeout", $"must be a positive number of milliseconds; got {options.ReconnectTimeout}.");
        if (options.MaxBodyBytes <= 0)
            Fail("MaxBodyBytes", $"must be a positive number of bytes; got {options.MaxBodyBytes}.");
        if (options.RecentSessions is < 0 or > 1_000_000)
            Fail("RecentSessions", $"must be between 0 (off) and 1000000; got {options.RecentSessions}.");

        var cookie = options.Cookie;
        if (cookie.MaxAge is < 0)
            Fail("Cookie:MaxAge", $"must not be negative; got {cookie.MaxAge}. Leave it empty for a browser-session cookie.");
        else if (cookie.MaxAge is { } maxAge && CookieLifetime.Exceeds(maxAge))
            Fail("Cookie:MaxAge", $"must not exceed {CookieLifetime.Limit} (browsers cap cookie lifetimes there); got {cookie.MaxAge} ms.");
        if (!CookieAttributes.IsValidPath(cookie.Path))
            Fail("Cookie:Path", $"'{cookie.Path}' is not a valid cookie path.");
        if (cookie.Domain is not null && !CookieAttributes.IsValidDomain(cookie.Domain))
            Fail("Cookie:Domain", $"'{cookie.Domain}' is not a valid cookie domain.");
        if (cookie.SameSite is not null && CookieAttributes.NormalizeSameSite(cookie.SameSite) is null)
            Fail("Cookie:SameSite", $"must be lax, strict or none; got '{cookie.SameSite}'.");
        // Not known to be HTTPS at startup: automatic Secure does not count.
        if (CookieAttributes.SameSiteNoneLacksSecure(cookie.SameSite, cookie.Secure, requestIsSecure: false))
            Fail("Cookie:Secure", "must be true when Cookie:SameSite is none; browsers drop SameSite=None cookies that are not Secure.");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Who may write who the user is: the protected paths must be pointers, and a user index (which lists and signs out a
    /// user's devices) must rest on a user id that only a verified login writes, unless the danger is opted into by name.
    /// </summary>
    private static void ValidateTrust(SessionApiOptions options, Action<string, string> fail)
    {
        var protectedPaths = ProtectedPaths.Of(options);
        for (var i = 0; i < (options.ProtectedPaths?.Count ?? 0); i++)
        {
            if (options.ProtectedPaths![i] is not { Length: > 1 } path || path[0] != '/')
                fail($"ProtectedPaths:{i}", $"must be a JSON pointer to a field of the session, such as /user; got '{options.ProtectedPaths[i]}'.");
            else if (JsonPointer.Tokens(path)[0] == SessionCookie.PropertyName)
                fail($"ProtectedPaths:{i}", "the cookie object is not a field; its options are checked by their own rules.");
        }
        SessionLoginValidator.Validate(options, protectedPaths, fail);

        if (options.UserIdPath is not { Length: > 1 } userIdPath || userIdPath[0] != '/' || options.DangerouslyTrustClientsWithUserId) return;
        const string OptOut = "or, if every client may claim any user id, set Session:DangerouslyTrustClientsWithUserId=true";
        if (!protectedPaths.Any(p => p.Length > 1 && ProtectedPaths.Covers(p, userIdPath)))
        {
            fail("ProtectedPaths",
                $"must cover Session:UserIdPath ({userIdPath}), or any client could claim any user id and sign that user's devices out; " +
                $"leave it unset for the default, {OptOut}.");
        }
        if (!options.Login.IsConfigured)
        {
            fail("UserIdPath",
                "needs a verified login to write the user id: set Session:Login:Authority (OpenID Connect discovery) or Session:Login:SigningKeys, " +
                $"and Session:Login:Audiences; {OptOut}.");
        }
    }

    private static bool IsCookieName(string? name) => !string.IsNullOrEmpty(name) && CookieNameRegex().IsMatch(name);

    // RFC 7230 token: what cookies.js accepts as a name, and what ".sig" can be appended to.
    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")]
    private static partial Regex CookieNameRegex();
}

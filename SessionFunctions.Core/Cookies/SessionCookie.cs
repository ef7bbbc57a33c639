using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SessionFunctions.Configuration;

namespace SessionFunctions.Cookies;

/// <summary>
/// The attributes of one session's cookie pair, read from the session's <c>cookie</c> sub-object. As in koa, each
/// session carries its own copy, so the stored JSON decides every later Set-Cookie and the TTL.
/// </summary>
public sealed record SessionCookie(
    bool HttpOnly,
    string Path,
    string? Domain,
    long? MaxAge,
    DateTimeOffset? Expires,
    string? SameSite,
    bool? Secure,
    string? Priority,
    bool Partitioned,
    DateTimeOffset? Created = null)
{
    public const string PropertyName = "cookie";

    /// <summary>
    /// When the session was created, kept in its cookie object (where Koa keeps and re-saves whatever it finds, and a
    /// <c>PUT</c> keeps it too) as an ISO-8601 date; written only when <see cref="SessionApiOptions.AbsoluteTimeout"/> is set.
    /// </summary>
    public const string CreatedProperty = "created";

    /// <summary>
    /// The <c>cookie</c> object of a new session, in koa's key order for the defaults
    /// (httpOnly, path, overwrite, signed, maxAge), so a default session is byte-identical to Koa's.
    /// </summary>
    internal static JsonObject NewJson(SessionCookieOptions options)
    {
        var json = new JsonObject
        {
            ["httpOnly"] = options.HttpOnly,
            ["path"] = options.Path,
            ["overwrite"] = options.Overwrite,
            ["signed"] = options.Signed,
            ["maxAge"] = options.MaxAge,
        };
        if (options.Domain is not null) json["domain"] = options.Domain;
        if (options.SameSite is not null) json["sameSite"] = CookieAttributes.NormalizeSameSite(options.SameSite);
        if (options.Secure is not null) json["secure"] = options.Secure;
        return json;
    }

    /// <summary>
    /// Reads a stored <c>cookie</c> object leniently: it may have been written by Koa or by hand, and a value that
    /// could not go into a header falls back to the configured default instead of failing the request.
    /// </summary>
    internal static SessionCookie Read(JsonObject? cookie, SessionCookieOptions defaults)
    {
        // A session stored without a cookie object (hand-written, or replaced wholesale in Koa) gets the configured one.
        cookie ??= NewJson(defaults);
        var path = String(cookie, "path");
        var domain = String(cookie, "domain");
        return new SessionCookie(
            // Missing attributes take pillarjs/cookies' own defaults, as they do in Koa.
            HttpOnly: Boolean(cookie, "httpOnly") ?? true,
            Path: CookieAttributes.IsValidPath(path) ? path! : "/",
            Domain: CookieAttributes.IsValidDomain(domain) ? domain : null,
            MaxAge: MaxAgeOf(cookie),
            Expires: ParseDate(String(cookie, "expires")),
            SameSite: SameSiteOf(cookie),
            Secure: Boolean(cookie, "secure"),
            Priority: String(cookie, "priority") is { } p ? CookieAttributes.NormalizePriority(p) : null,
            Partitioned: Boolean(cookie, "partitioned") ?? false,
            Created: ParseDate(String(cookie, CreatedProperty)));
    }

    /// <summary>When the session ends whatever its activity: <see cref="Created"/> + <paramref name="absoluteTimeout"/>; null without either.</summary>
    public DateTimeOffset? AbsoluteDeadline(long? absoluteTimeout) =>
        Created is { } created && absoluteTimeout is > 0 ? created.AddMilliseconds(absoluteTimeout.Value) : null;

    /// <summary>The cookie's <c>expires</c>: now + maxAge when maxAge is set (maxAge wins, as in pillarjs/cookies), else the stored date.</summary>
    public DateTimeOffset? ExpiresAt(DateTimeOffset now) => MaxAge is > 0 ? now.AddMilliseconds(MaxAge.Value) : Expires;

    /// <summary>Parses an ISO-8601 or RFC 1123 date, the two forms a stored <c>cookie.expires</c> takes.</summary>
    internal static DateTimeOffset? ParseDate(string? text) =>
        // The form this service and Koa write (Date.toISOString) first: the general parser costs several times more.
        DateTimeOffset.TryParseExact(text, IsoFormat, CultureInfo.InvariantCulture, DateStyles, out var date)
        || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateStyles, out date)
            ? date
            : null;

    private const string IsoFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
    private const DateTimeStyles DateStyles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;

    /// <summary>Formats a date as JavaScript's <c>Date.toISOString()</c> does: UTC, milliseconds, <c>Z</c>.</summary>
    internal static string FormatDate(DateTimeOffset date) =>
        date.UtcDateTime.ToString(IsoFormat, CultureInfo.InvariantCulture);

    private static long? MaxAgeOf(JsonObject cookie)
    {
        if (cookie["maxAge"] is not JsonValue value || value.GetValueKind() != JsonValueKind.Number) return null;
        // A whole number of milliseconds, as Koa and this service write it, without the text round trip below.
        if (value.TryGetValue<long>(out var whole)) return whole > 0 ? Math.Min(whole, CookieLifetime.MaxMilliseconds) : null;
        // Any other number, parsed JSON or set in code, is read through its JSON text.
        if (double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms)
            && double.IsFinite(ms) && ms > 0)
        {
            return (long)Math.Min(Math.Ceiling(ms), CookieLifetime.MaxMilliseconds);
        }
        return null;
    }

    private static string? SameSiteOf(JsonObject cookie) => cookie["sameSite"] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.True => "strict",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => CookieAttributes.NormalizeSameSite(v.GetValue<string>()),
        _ => null,
    };

    private static string? String(JsonObject json, string name) =>
        json[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static bool? Boolean(JsonObject json, string name) => json[name] is JsonValue v
        ? v.GetValueKind() switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null }
        : null;
}

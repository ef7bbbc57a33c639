using System.Text.Json;
using System.Text.Json.Nodes;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;

namespace SessionFunctions.Lifecycle;

/// <summary>
/// Applies the <c>cookie</c> object of a request body to a session's cookie. A client may change its cookie's
/// lifetime and cross-site behaviour (maxAge, expires, sameSite, secure, priority, partitioned). It may send
/// httpOnly, path, domain, signed and overwrite back unchanged (as read from GET) but not change them: a script
/// that could turn off HttpOnly or move the cookie to another domain would defeat the cookie's protections.
/// </summary>
internal static class CookieOverrides
{
    private static readonly Dictionary<string, JsonNode> FixedDefaults = new()
    {
        // pillarjs/cookies' own defaults, used when the stored cookie object leaves them out.
        ["httpOnly"] = true,
        ["path"] = "/",
        ["signed"] = true,
        ["overwrite"] = false,
    };

    public static void Apply(JsonObject cookie, JsonObject overrides, bool requestIsSecure, DateTimeOffset now)
    {
        foreach (var (name, value) in overrides)
        {
            switch (name)
            {
                case "maxAge":
                    cookie["maxAge"] = MaxAge(value);
                    break;
                case "expires":
                    Set(cookie, "expires", value is null ? null : SessionCookie.FormatDate(Expires(value, now)));
                    break;
                case "sameSite":
                    Set(cookie, "sameSite", SameSite(value));
                    break;
                case "secure":
                    var secure = Boolean(value, "secure");
                    if (secure == true && !requestIsSecure)
                        throw Invalid("'secure: true' needs an HTTPS request: browsers do not store secure cookies sent over plain HTTP.");
                    Set(cookie, "secure", secure);
                    break;
                case "priority":
                    Set(cookie, "priority", value is null ? null : CookieAttributes.NormalizePriority(String(value, "priority"))
                        ?? throw Invalid("'priority' must be low, medium or high."));
                    break;
                case "partitioned":
                    Set(cookie, "partitioned", Boolean(value, "partitioned"));
                    break;
                case "httpOnly" or "path" or "domain" or "signed" or "overwrite" or SessionCookie.CreatedProperty:
                    var current = cookie[name] ?? FixedDefaults.GetValueOrDefault(name);
                    if (!JsonNode.DeepEquals(current, value))
                        throw Invalid($"'{name}' cannot be changed by a client; it is set by the server's configuration.");
                    break;
                default:
                    throw Invalid($"'{name}' is not a cookie option. Known: maxAge, expires, sameSite, secure, priority, partitioned.");
            }
        }

        if (overrides.ContainsKey("sameSite") || overrides.ContainsKey("secure"))
        {
            var effective = SessionCookie.Read(cookie, new SessionCookieOptions());
            if (CookieAttributes.SameSiteNoneLacksSecure(effective.SameSite, effective.Secure, requestIsSecure))
                throw Invalid("'sameSite: none' needs a secure cookie; browsers drop SameSite=None cookies that are not Secure.");
        }
    }

    private static JsonNode? MaxAge(JsonNode? value)
    {
        if (value is null) return null;
        if (value.GetValueKind() != JsonValueKind.Number || !value.AsValue().TryGetValue(out long ms))
            throw Invalid($"'maxAge' must be a whole number of milliseconds up to {CookieLifetime.Limit}, or null for a browser-session cookie.");
        if (ms < 0) throw Invalid("'maxAge' must not be negative.");
        // Compared as milliseconds: a TimeSpan of a huge long overflows.
        if (CookieLifetime.Exceeds(ms)) throw Invalid($"'maxAge' must not exceed {CookieLifetime.Limit}.");
        return ms;
    }

    private static DateTimeOffset Expires(JsonNode value, DateTimeOffset now)
    {
        var date = SessionCookie.ParseDate(String(value, "expires")) ?? throw Invalid("'expires' must be an ISO-8601 date, e.g. 2030-01-01T00:00:00.000Z.");
        if (date <= now) throw Invalid("'expires' must be in the future.");
        if (CookieLifetime.Exceeds(date - now)) throw Invalid($"'expires' must be at most {CookieLifetime.Limit} ahead.");
        return date;
    }

    private static string? SameSite(JsonNode? value) => value?.GetValueKind() switch
    {
        null or JsonValueKind.Null or JsonValueKind.False => null,
        JsonValueKind.True => "strict",
        JsonValueKind.String => CookieAttributes.NormalizeSameSite(value.GetValue<string>()) ?? throw Invalid("'sameSite' must be lax, strict or none."),
        _ => throw Invalid("'sameSite' must be lax, strict or none."),
    };

    private static bool? Boolean(JsonNode? value, string name) => value?.GetValueKind() switch
    {
        null or JsonValueKind.Null => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Invalid($"'{name}' must be true, false or null."),
    };

    private static string String(JsonNode value, string name) =>
        value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Invalid($"'{name}' must be a string.");

    private static void Set(JsonObject cookie, string name, JsonNode? value)
    {
        if (value is null) cookie.Remove(name);
        else cookie[name] = value;
    }

    private static void Set(JsonObject cookie, string name, string? value) => Set(cookie, name, value is null ? null : JsonValue.Create(value));

    private static void Set(JsonObject cookie, string name, bool? value) => Set(cookie, name, value is null ? null : JsonValue.Create(value.Value));

    private static SessionEditRefusedException Invalid(string detail) => new(SessionEditRefusal.InvalidCookie, detail);
}

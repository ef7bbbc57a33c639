using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace SessionFunctions;

/// <summary>
/// The session's <c>ETag</c> (a strong validator: the <see cref="SessionHash"/> of the stored text, in quotes) and the
/// conditional request headers that name it (RFC 9110 §8.8.3, §13.1).
/// </summary>
internal static class EntityTags
{
    private const int HashLength = 40;

    public static string Of(string hash) => "\"" + hash + "\"";

    /// <summary><c>If-Match</c>, compared strongly: a weak tag never matches. Null when absent.</summary>
    public static SessionPrecondition? IfMatch(HttpRequest request) => Parse(request.Headers.IfMatch, weakMatches: false);

    /// <summary><c>If-None-Match</c>, compared weakly (<c>W/"…"</c> matches too). Null when absent.</summary>
    public static SessionPrecondition? IfNoneMatch(HttpRequest request) => Parse(request.Headers.IfNoneMatch, weakMatches: true);

    private static SessionPrecondition? Parse(StringValues values, bool weakMatches)
    {
        if (StringValues.IsNullOrEmpty(values)) return null;
        var hashes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "*") return SessionPrecondition.Any;
                var tag = part;
                if (tag.StartsWith("W/", StringComparison.Ordinal))
                {
                    if (!weakMatches) continue;
                    tag = tag[2..];
                }
                // Anything else cannot name a session of ours, so it matches nothing (If-Match then answers 412).
                if (tag.Length == HashLength + 2 && tag[0] == '"' && tag[^1] == '"') hashes.Add(tag[1..^1].ToLowerInvariant());
            }
        }
        return new SessionPrecondition(hashes);
    }
}

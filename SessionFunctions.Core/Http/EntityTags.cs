using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using SessionFunctions.Lifecycle;
using SessionFunctions.Storage;

namespace SessionFunctions.Http;

/// <summary>
/// The session's <c>ETag</c> (a strong validator: the <see cref="SessionHash"/> of the stored text, in quotes) and the
/// conditional request headers that name it (RFC 9110 §8.8.3, §13.1).
/// </summary>
internal static class EntityTags
{
    private const int HashLength = 40;

    public static string Of(string hash) => "\"" + hash + "\"";

    /// <summary><c>If-Match</c>, compared strongly: a weak tag never matches. Null when absent.</summary>
    /// <exception cref="SessionProblemException">400: the header is sent but empty. Taken as absent, the write would happen unconditionally.</exception>
    public static SessionPrecondition? IfMatch(HttpRequest request)
    {
        var values = request.Headers.IfMatch;
        if (values.Count > 0 && values.All(v => string.IsNullOrWhiteSpace(v?.Replace(",", "", StringComparison.Ordinal))))
            throw new SessionProblemException(SessionProblem.BadRequest, "If-Match is empty: send the session's ETag (or *), or leave the header out.");
        return Parse(values, weakMatches: false);
    }

    /// <summary>
    /// Refuses <c>If-None-Match</c> on a write: the API supports it on reads only, and a write that ignored it (<c>PUT</c>
    /// with <c>If-None-Match: *</c>, meant as "only if there is none") would overwrite what the client meant to keep.
    /// </summary>
    public static void RefuseIfNoneMatchOnWrite(HttpRequest request)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || !request.Headers.ContainsKey("If-None-Match")) return;
        throw new SessionProblemException(SessionProblem.BadRequest,
            "If-None-Match is supported on GET only; to change the session only if it is unchanged, send If-Match with its ETag.");
    }

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
                // Compared octet by octet (RFC 9110 §8.8.3.2), weakly too: "ABC…" is not the tag "abc…".
                if (tag.Length == HashLength + 2 && tag[0] == '"' && tag[^1] == '"') hashes.Add(tag[1..^1]);
            }
        }
        return new SessionPrecondition(hashes);
    }
}

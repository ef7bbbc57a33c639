namespace SessionFunctions.Configuration;

/// <summary>
/// <c>Session:ProtectedPaths</c> as it is in force: the configured JSON pointers, else the documented default (the top
/// member of <c>Session:UserIdPath</c>, or of <c>/user/id</c>). The lifecycle's <c>ProtectedFields</c> enforces them;
/// the validators check the options against them.
/// </summary>
internal static class ProtectedPaths
{
    /// <summary>The protected pointers in force: the configured ones, else the documented default.</summary>
    public static IReadOnlyList<string> Of(SessionApiOptions options) =>
        options.ProtectedPaths is { } configured ? configured
        : options.DangerouslyTrustClientsWithUserId ? []
        : ["/" + JsonPointer.Tokens(options.UserIdPath is { Length: > 1 } path && path[0] == '/' ? path : SessionLoginDefaults.UserIdPath)[0]
            .Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)];

    /// <summary>Whether <paramref name="pointer"/> is <paramref name="protectedPath"/> or lies under it.</summary>
    public static bool Covers(string protectedPath, string pointer)
    {
        var outer = JsonPointer.Tokens(protectedPath);
        var inner = JsonPointer.Tokens(pointer);
        return inner.Length >= outer.Length && outer.SequenceEqual(inner.Take(outer.Length), StringComparer.Ordinal);
    }
}

namespace SessionFunctions.Configuration;

/// <summary>RFC 6901 JSON pointers, as the options name session fields (<c>Session:UserIdPath</c>, <c>Session:ProtectedPaths</c>).</summary>
internal static class JsonPointer
{
    /// <summary>The reference tokens of an RFC 6901 pointer (<c>/a~1b/c</c> → <c>a/b</c>, <c>c</c>).</summary>
    public static string[] Tokens(string pointer) =>
        [.. pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
}

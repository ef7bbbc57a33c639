using System.Text.Json.Nodes;

namespace SessionFunctions.Storage;

/// <summary>A usable session as the store holds it: parsed, the exact text it was parsed from, and that text's hash.</summary>
/// <param name="Data">The session object.</param>
/// <param name="Json">
/// The stored text; null for a session remembered with its <c>cookie</c> object only
/// (<see cref="RememberedSession.CookieJson"/>), which only a save that replaces every field may start from.
/// </param>
/// <param name="Hash">The <see cref="SessionHash"/> of the stored text: its ETag, and what a compare-and-set expects.</param>
internal sealed record StoredSession(JsonObject Data, string? Json, string Hash)
{
    public static StoredSession Of(JsonObject data, string json) => new(data, json, SessionHash.Of(json));

    /// <summary>Whether only the <c>cookie</c> object is known.</summary>
    public bool IsPartial => Json is null;

    /// <summary>
    /// Taken from this instance's memory rather than read: the repository's guess of what the store holds, which only a
    /// compare-and-set (or <see cref="SessionRepository.ConfirmAsync"/>) proves. Only the repository looks at it.
    /// </summary>
    public bool Remembered { get; init; }
}

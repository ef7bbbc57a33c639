using System.Globalization;

namespace SessionFunctions.Storage;

/// <summary>
/// The user index's commands (<c>Session:UserIdPath</c>): one Redis hash per user, field = sid, value = a
/// <see cref="UserIndexEntry"/>. Each command names one key, so each works on Redis Cluster; the index key is in another
/// hash slot than the sessions, so nothing here is atomic with a session write (see docs/capacity.md, "User index").
/// A store without it cannot run with a user index. Each write takes a deadline, as <see cref="ISessionStore"/>'s do.
/// </summary>
internal interface ISessionUserIndexStore
{
    /// <summary>
    /// Sets the member <paramref name="sessionId"/> of <paramref name="indexKey"/> to <paramref name="entry"/>, keeping the
    /// created time and label of an entry it already has, and extends the key's TTL to at least <paramref name="ttl"/>.
    /// </summary>
    Task IndexAsync(string indexKey, string sessionId, UserIndexEntry entry, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>Every member (sid → entry text) of <paramref name="indexKey"/>; empty when it does not exist.</summary>
    Task<IReadOnlyDictionary<string, string>> MembersAsync(string indexKey, CancellationToken cancellationToken);

    /// <summary>Removes the member <paramref name="sessionId"/> (Redis <c>HDEL</c>).</summary>
    Task UnindexAsync(string indexKey, string sessionId, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the member <paramref name="sessionId"/> only if its entry was last written at or before
    /// <paramref name="seenAtMost"/> (Unix ms), atomically: a save that re-added it since keeps it.
    /// </summary>
    Task UnindexIfSeenAtMostAsync(string indexKey, string sessionId, long seenAtMost, DateTimeOffset deadline, CancellationToken cancellationToken);
}

/// <summary>
/// One member of a user's index, stored as <c>"created seen label"</c>: Unix milliseconds of the session's creation and
/// of the last save through this API that indexed it, then the client label (possibly empty).
/// </summary>
internal sealed record UserIndexEntry(long Created, long Seen, string Label)
{
    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Created} {Seen} {Label}");

    public static UserIndexEntry? Parse(string? text)
    {
        if (text is null) return null;
        var parts = text.Split(' ', 3);
        return parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var created)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var seen)
            ? new UserIndexEntry(created, seen, parts[2])
            : null;
    }
}

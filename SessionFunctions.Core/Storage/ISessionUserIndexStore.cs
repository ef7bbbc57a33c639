using System.Globalization;

namespace SessionFunctions.Storage;

/// <summary>
/// The user index's commands (<c>Session:UserIdPath</c>): one Redis hash per user, field = sid, value = a
/// <see cref="UserIndexEntry"/>. Each command names one key, so each works on Redis Cluster; the index key is in another
/// hash slot than the sessions, so nothing here is atomic with a session write (see docs/capacity.md, "User index").
/// Each write takes a deadline, as <see cref="ISessionStore"/>'s do.
/// </summary>
/// <remarks>
/// <para>
/// Internal on purpose, and part of a store's registration: <see cref="MemorySessionStore"/> and the Redis store (on one
/// server or a cluster) implement it, and a user index starts only on a store that does (Session:UserIdPath with any
/// other <see cref="ISessionStore"/> stops the app at startup, naming the setting). It is not public because "sign out
/// everywhere" is only as safe as these commands are exact: a re-index that keeps the created time, a regenerate that
/// inherits it, a compare-seen delete, the over-the-bound reply and the bounded listing must each be atomic and agree
/// with the Lua scripts to the letter (UserIndexStoreContractTests hold the two built-in stores to it). A third-party
/// store that got one subtly wrong would keep a stolen session alive after a sign-out, silently; and a public contract
/// would freeze the entry format and the bound while they are still changing. Making it public later adds API; making a
/// public one internal again would break its implementers.
/// </para>
/// </remarks>
internal interface ISessionUserIndexStore
{
    /// <summary>
    /// Sets the member <see cref="UserIndexJoin.SessionId"/> of <paramref name="indexKey"/> to the join's entry, keeping
    /// the created time and label of an entry it already has (else, with <see cref="UserIndexJoin.Inherits"/>, those of
    /// <see cref="UserIndexJoin.Replaces"/>' entry), and extends the key's TTL to at least the join's.
    /// </summary>
    /// <returns>
    /// When the member is new and the index then holds more than <see cref="UserIndexJoin.MaxMembers"/> (not counting
    /// <see cref="UserIndexJoin.Replaces"/>): the least recently seen members over the bound, at most
    /// <see cref="UserIndexJoin.MaxOverBound"/>, never the joining one or the one it replaces (an entry that cannot be
    /// read counts as seen first; ties in any order), as sid → entry text, the least recently seen first. Else none.
    /// Nothing is removed: the caller signs them out, deleting each session before its member.
    /// </returns>
    Task<IReadOnlyList<KeyValuePair<string, string>>> IndexAsync(
        string indexKey, UserIndexJoin join, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>
    /// At most <paramref name="limit"/> members of <paramref name="indexKey"/> (sid → entry text): all of them when they
    /// fit, else the <paramref name="limit"/> created first (an entry that cannot be read counts as created first; ties in
    /// any order); and how many it has in all. None when it does not exist.
    /// </summary>
    Task<UserIndexMembers> MembersAsync(string indexKey, int limit, CancellationToken cancellationToken);

    /// <summary>Removes the member <paramref name="sessionId"/> (Redis <c>HDEL</c>).</summary>
    Task UnindexAsync(string indexKey, string sessionId, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the member <paramref name="sessionId"/> only if its entry was last seen at or before
    /// <paramref name="seenAtMost"/> (Unix ms), or cannot be read, atomically: a save that re-added it since keeps it.
    /// </summary>
    Task UnindexIfSeenAtMostAsync(string indexKey, string sessionId, long seenAtMost, DateTimeOffset deadline, CancellationToken cancellationToken);
}

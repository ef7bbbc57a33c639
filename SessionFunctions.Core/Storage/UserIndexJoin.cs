namespace SessionFunctions.Storage;

/// <summary>
/// What <see cref="ISessionUserIndexStore.IndexAsync"/> does for one save: put a session in its user's index, keeping
/// what its entry already says of the device, and name the members the index then holds beyond its bound.
/// </summary>
/// <param name="SessionId">The member: the session's id.</param>
/// <param name="Entry">Its entry; an existing entry keeps its created time and label (see <see cref="Inherits"/>).</param>
/// <param name="Ttl">The least time the index key is to live: the session's TTL.</param>
internal sealed record UserIndexJoin(string SessionId, UserIndexEntry Entry, TimeSpan Ttl)
{
    /// <summary>
    /// The session this one replaces, deleted once this one is stored (a create over the request's session, a
    /// regenerate): it does not count toward <see cref="MaxMembers"/>, and is never over the bound. Null: none.
    /// </summary>
    public string? Replaces { get; init; }

    /// <summary>
    /// Whether a member without an entry of its own takes the created time and label of <see cref="Replaces"/>' entry in
    /// the same index: a regenerate without a new login, the same device under a new id.
    /// </summary>
    public bool Inherits { get; init; }

    /// <summary>The most members the index keeps: a join that adds a member past it names those over the bound.</summary>
    public int MaxMembers { get; init; } = int.MaxValue;

    /// <summary>The most members one join names over the bound.</summary>
    public int MaxOverBound { get; init; }
}

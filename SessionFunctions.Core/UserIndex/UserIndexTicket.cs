namespace SessionFunctions.UserIndex;

/// <summary>
/// What the user index did before a write, or learned before a delete, handed back to
/// <see cref="IUserSessionIndex.AfterAsync"/> once the lifecycle knows how it went. Opaque to the lifecycle; the default
/// ticket (the index off, or a session without a user) asks nothing more.
/// </summary>
internal readonly record struct UserIndexTicket
{
    /// <summary>The session.</summary>
    internal string? SessionId { get; init; }

    /// <summary>The user whose index the write put it in; null for a delete, or when it has no user.</summary>
    internal UserId? Joined { get; init; }

    /// <summary>The user whose index it was in before: what the store held (a save), or the session being deleted.</summary>
    internal UserId? Left { get; init; }

    /// <summary>
    /// When (Unix ms) this request indexed the session: an entry seen later is another save's, which a removal keeps.
    /// <see cref="long.MaxValue"/> for a delete: no save can index a deleted sid again, so any entry of it goes.
    /// </summary>
    internal long IndexedAt { get; init; }

    /// <summary>The members the join found over <c>Session:MaxSessionsPerUser</c> (sid → entry text): signed out once the write is stored.</summary>
    internal IReadOnlyList<KeyValuePair<string, string>>? OverBound { get; init; }
}

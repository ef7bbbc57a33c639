using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>
/// The index's commands on the store (<see cref="ISessionUserIndexStore"/>), by user: the key from the
/// <see cref="UserId"/>, and each command measured and waited for as the repository waits for the store
/// (<see cref="SessionRepository.WhenAvailable{T}"/>: retried through an outage for up to <c>Session:ReconnectTimeout</c>,
/// each write carrying the moment that wait ends).
/// </summary>
internal sealed class UserIndexCommands(ISessionUserIndexStore store, SessionRepository repository, string prefix)
{
    /// <summary>Puts the session in the user's index; the members over the bound, if it added one past it.</summary>
    public Task<IReadOnlyList<KeyValuePair<string, string>>> IndexAsync(UserId user, UserIndexJoin join, CancellationToken cancellationToken)
    {
        var key = user.IndexKey(prefix);
        return repository.WhenAvailable("index", (deadline, ct) => store.IndexAsync(key, join, deadline, ct), cancellationToken);
    }

    /// <summary>At most <paramref name="limit"/> members of the user's index, the created first when there are more.</summary>
    public Task<UserIndexMembers> MembersAsync(UserId user, int limit, CancellationToken cancellationToken)
    {
        var key = user.IndexKey(prefix);
        return repository.WhenAvailable("index_list", (_, ct) => store.MembersAsync(key, limit, ct), cancellationToken);
    }

    /// <summary>
    /// Takes the session out of the user's index, unless a save indexed it after <paramref name="seenAtMost"/> (Unix ms);
    /// <see cref="long.MaxValue"/> takes it out whatever its entry says.
    /// </summary>
    public Task UnindexAsync(UserId user, string sessionId, long seenAtMost, CancellationToken cancellationToken)
    {
        var key = user.IndexKey(prefix);
        return seenAtMost == long.MaxValue
            ? repository.WhenAvailable("unindex", async (deadline, ct) =>
            {
                await store.UnindexAsync(key, sessionId, deadline, ct);
                return true;
            }, cancellationToken)
            : repository.WhenAvailable("unindex_if", async (deadline, ct) =>
            {
                await store.UnindexIfSeenAtMostAsync(key, sessionId, seenAtMost, deadline, ct);
                return true;
            }, cancellationToken);
    }
}

using SessionFunctions.Storage;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// A memory store whose next operations can be scripted: run something just before one (another writer getting in
/// first), or fail one. It counts what the lifecycle asked of it, so a test can say exactly which store calls an
/// operation made, and what the store holds afterwards.
/// </summary>
public sealed class ScriptedSessionStore(TimeProvider time) : ISessionStore, ISessionUserIndexStore, IDisposable
{
    private readonly MemorySessionStore _inner = new(time);

    /// <summary>Runs before the next store call of that kind, once each, in order.</summary>
    public Queue<Action<ScriptedSessionStore, string>> BeforeReplace { get; } = new();

    public Queue<Action<ScriptedSessionStore, string>> BeforeDestroy { get; } = new();

    /// <summary>Runs before the next read of a user's index (a listing), once each, in order; given the index key.</summary>
    public Queue<Action<ScriptedSessionStore, string>> BeforeIndexList { get; } = new();

    /// <summary>Runs once, before the next read of that key (reads of several keys may run at once, so by key, not in order).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, Action<ScriptedSessionStore>> BeforeGetOf { get; } = new();

    /// <summary>Thrown by every store call of that kind while set (the repository retries an outage, so once is not enough).</summary>
    public Exception? FailCreate { get; set; }

    public Exception? FailDestroy { get; set; }

    /// <summary>
    /// The next this many creates and conditional writes (replace, destroy-if) are done, but their replies are lost: the
    /// call throws <see cref="SessionStoreUnavailableException"/> after the store changed, as a dropped connection does.
    /// </summary>
    public int LoseReplies { get; set; }

    /// <summary>
    /// The next this many creates and conditional writes fail before reaching the store: they throw
    /// <see cref="SessionStoreUnavailableException"/> with <c>MayHaveRun = false</c>, as a command still queued does.
    /// </summary>
    public int FailBeforeRunning { get; set; }

    /// <summary>The calls so far, e.g. "get", "create", "replace", "destroy".</summary>
    public List<string> Calls { get; } = [];

    /// <summary>The live keys and values, without going through the script.</summary>
    public string? this[string key]
    {
        get => _inner.GetAsync(key, default).Result;
        set
        {
            _ = _inner.DestroyAsync(key, DateTimeOffset.MaxValue, default).Result;
            if (value is not null) _ = _inner.CreateAsync(key, value, TimeSpan.FromHours(1), DateTimeOffset.MaxValue, default).Result;
        }
    }

    public int Count => _inner.Count;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        Calls.Add("get");
        if (BeforeGetOf.TryRemove(key, out var before)) before(this);
        return _inner.GetAsync(key, cancellationToken);
    }

    public Task<bool> CreateAsync(string key, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        Calls.Add("create");
        return FailCreate is { } error ? Task.FromException<bool>(error) : Run(() => _inner.CreateAsync(key, value, ttl, deadline, cancellationToken));
    }

    public Task<string?> GetAndTouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        Calls.Add("get-touch");
        return _inner.GetAndTouchAsync(key, ttl, cancellationToken);
    }

    public Task<bool> TouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        Calls.Add("touch");
        return _inner.TouchAsync(key, ttl, cancellationToken);
    }

    public Task<SessionStoreWrite> ReplaceIfAsync(string key, string expectedHash, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        Calls.Add("replace");
        if (BeforeReplace.TryDequeue(out var before)) before(this, key);
        return Run(() => _inner.ReplaceIfAsync(key, expectedHash, value, ttl, deadline, cancellationToken));
    }

    public Task<SessionStoreWrite> DestroyIfAsync(string key, string expectedHash, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        Calls.Add("destroy-if");
        if (BeforeDestroy.TryDequeue(out var before)) before(this, key);
        return FailDestroy is { } error ? Task.FromException<SessionStoreWrite>(error) : Run(() => _inner.DestroyIfAsync(key, expectedHash, deadline, cancellationToken));
    }

    public Task<bool> DestroyAsync(string key, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        Calls.Add("destroy");
        if (BeforeDestroy.TryDequeue(out var before)) before(this, key);
        return FailDestroy is { } error ? Task.FromException<bool>(error) : _inner.DestroyAsync(key, deadline, cancellationToken);
    }

    private async Task<T> Run<T>(Func<Task<T>> work)
    {
        if (FailBeforeRunning > 0)
        {
            FailBeforeRunning--;
            throw new SessionStoreUnavailableException("The connection dropped with the command still queued.") { MayHaveRun = false };
        }
        var result = await work();
        if (LoseReplies <= 0) return result;
        LoseReplies--;
        throw new SessionStoreUnavailableException("The connection dropped before the reply arrived.");
    }

    // The user index (Session:UserIdPath) as the memory store keeps it, unscripted.
    private ISessionUserIndexStore Index => _inner;

    Task<IReadOnlyList<KeyValuePair<string, string>>> ISessionUserIndexStore.IndexAsync(
        string indexKey, UserIndexJoin join, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        Index.IndexAsync(indexKey, join, deadline, cancellationToken);

    Task<UserIndexMembers> ISessionUserIndexStore.MembersAsync(string indexKey, int limit, CancellationToken cancellationToken)
    {
        if (BeforeIndexList.TryDequeue(out var before)) before(this, indexKey);
        return Index.MembersAsync(indexKey, limit, cancellationToken);
    }

    Task ISessionUserIndexStore.UnindexAsync(string indexKey, string sessionId, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        Index.UnindexAsync(indexKey, sessionId, deadline, cancellationToken);

    Task ISessionUserIndexStore.UnindexIfSeenAtMostAsync(string indexKey, string sessionId, long seenAtMost, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        Index.UnindexIfSeenAtMostAsync(indexKey, sessionId, seenAtMost, deadline, cancellationToken);

    /// <summary>The sids in a user's index, without going through the script.</summary>
    public IReadOnlyCollection<string> IndexMembers(string indexKey) => [.. Index.MembersAsync(indexKey, int.MaxValue, default).Result.Members.Keys];

    public void Dispose() => _inner.Dispose();
}

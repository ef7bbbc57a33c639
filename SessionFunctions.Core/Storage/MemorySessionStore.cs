namespace SessionFunctions.Storage;

/// <summary>
/// koa's MemoryStore: the default when no Redis is configured. Thread-safe, honours TTLs, and evicts expired entries
/// on access and once a minute. Sessions live in this process only, so it is for development and single instances.
/// </summary>
/// <remarks>
/// Writes take a deadline (<see cref="ISessionStore"/>) and need not look at it: each is done under the lock before its
/// call returns, so it takes effect while the caller still waits for it, never after the caller has answered. The
/// caller never starts a write past its deadline.
/// </remarks>
public sealed class MemorySessionStore : ISessionStore, ISessionUserIndexStore, IDisposable
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IndexEntry> _indexes = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;

    public MemorySessionStore(TimeProvider time)
    {
        _time = time;
        _sweeper = time.CreateTimer(_ => Sweep(), null, SweepInterval, SweepInterval);
    }

    /// <summary>The number of live entries.</summary>
    public int Count
    {
        get
        {
            Sweep();
            lock (_lock) return _entries.Count;
        }
    }

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_lock) return Task.FromResult(TryGetLive(key, out var entry) ? entry.Value : null);
    }

    public Task<bool> CreateAsync(string key, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (TryGetLive(key, out _)) return Task.FromResult(false);
            _entries[key] = new Entry(value, _time.GetUtcNow() + ttl);
            return Task.FromResult(true);
        }
    }

    public Task<string?> GetAndTouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!TryGetLive(key, out var entry)) return Task.FromResult<string?>(null);
            _entries[key] = entry with { ExpiresAt = _time.GetUtcNow() + ttl };
            return Task.FromResult<string?>(entry.Value);
        }
    }

    public async Task<bool> TouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        await GetAndTouchAsync(key, ttl, cancellationToken) is not null;

    public Task<SessionStoreWrite> ReplaceIfAsync(string key, string expectedHash, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var check = Compare(key, expectedHash);
            if (check.Status == SessionStoreWriteStatus.Done) _entries[key] = new Entry(value, _time.GetUtcNow() + ttl);
            return Task.FromResult(check);
        }
    }

    public Task<bool> DestroyAsync(string key, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var existed = TryGetLive(key, out _);
            _entries.Remove(key);
            return Task.FromResult(existed);
        }
    }

    public Task<SessionStoreWrite> DestroyIfAsync(string key, string expectedHash, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var check = Compare(key, expectedHash);
            if (check.Status == SessionStoreWriteStatus.Done) _entries.Remove(key);
            return Task.FromResult(check);
        }
    }

    /// <summary>The remaining lifetime of <paramref name="key"/>, a session's or a user index's, or null when it does not exist (Redis <c>PTTL</c>).</summary>
    public TimeSpan? TimeToLive(string key)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (TryGetLive(key, out var entry)) return entry.ExpiresAt - now;
            return _indexes.TryGetValue(key, out var index) && index.ExpiresAt > now ? index.ExpiresAt - now : null;
        }
    }

    Task<IReadOnlyList<KeyValuePair<string, string>>> ISessionUserIndexStore.IndexAsync(
        string indexKey, UserIndexJoin join, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (!_indexes.TryGetValue(indexKey, out var index) || index.ExpiresAt <= now)
                index = new IndexEntry(new Dictionary<string, string>(StringComparer.Ordinal), now + join.Ttl);
            var members = index.Members;
            var isNew = !members.TryGetValue(join.SessionId, out var own);
            var replaced = join.Replaces is { } replaces && replaces != join.SessionId ? members.GetValueOrDefault(replaces) : null;
            var entry = join.Entry;
            if ((UserIndexEntry.Parse(own) ?? (join.Inherits ? UserIndexEntry.Parse(replaced) : null)) is { } kept)
                entry = entry with { Created = kept.Created, Label = kept.Label };
            members[join.SessionId] = entry.Format();
            _indexes[indexKey] = index.ExpiresAt < now + join.Ttl ? index with { ExpiresAt = now + join.Ttl } : index;

            var over = members.Count - (replaced is null ? 0 : 1) - join.MaxMembers;
            if (!isNew || over <= 0) return Task.FromResult<IReadOnlyList<KeyValuePair<string, string>>>([]);
            IReadOnlyList<KeyValuePair<string, string>> oldest = [.. members
                .Where(m => m.Key != join.SessionId && m.Key != join.Replaces)
                .OrderBy(m => UserIndexEntry.Parse(m.Value)?.Seen ?? 0)
                .Take(Math.Min(over, join.MaxOverBound))];
            return Task.FromResult(oldest);
        }
    }

    Task<UserIndexMembers> ISessionUserIndexStore.MembersAsync(string indexKey, int limit, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_indexes.TryGetValue(indexKey, out var index) || index.ExpiresAt <= _time.GetUtcNow()) return Task.FromResult(UserIndexMembers.None);
            var members = index.Members.Count <= limit
                ? index.Members
                : index.Members.OrderBy(m => UserIndexEntry.Parse(m.Value)?.Created ?? 0).Take(limit);
            return Task.FromResult(new UserIndexMembers(new Dictionary<string, string>(members, StringComparer.Ordinal), index.Members.Count));
        }
    }

    Task ISessionUserIndexStore.UnindexAsync(string indexKey, string sessionId, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_indexes.TryGetValue(indexKey, out var index)) index.Members.Remove(sessionId);
            return Task.CompletedTask;
        }
    }

    Task ISessionUserIndexStore.UnindexIfSeenAtMostAsync(string indexKey, string sessionId, long seenAtMost, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_indexes.TryGetValue(indexKey, out var index) && index.Members.TryGetValue(sessionId, out var text)
                && (UserIndexEntry.Parse(text) is not { } entry || entry.Seen <= seenAtMost))
                index.Members.Remove(sessionId);
            return Task.CompletedTask;
        }
    }

    public void Dispose() => _sweeper.Dispose();

    private bool TryGetLive(string key, out Entry entry)
    {
        if (!_entries.TryGetValue(key, out entry)) return false;
        if (entry.ExpiresAt > _time.GetUtcNow()) return true;
        _entries.Remove(key);
        return false;
    }

    private SessionStoreWrite Compare(string key, string expectedHash)
    {
        if (!TryGetLive(key, out var entry)) return SessionStoreWrite.Missing;
        return SessionHash.Of(entry.Value) == expectedHash ? SessionStoreWrite.Done : SessionStoreWrite.Changed(entry.Value);
    }

    private void Sweep()
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (var (key, entry) in _entries)
            {
                if (entry.ExpiresAt <= now) _entries.Remove(key);
            }
            foreach (var (key, index) in _indexes)
            {
                if (index.ExpiresAt <= now || index.Members.Count == 0) _indexes.Remove(key);
            }
        }
    }

    private readonly record struct Entry(string Value, DateTimeOffset ExpiresAt);

    private readonly record struct IndexEntry(Dictionary<string, string> Members, DateTimeOffset ExpiresAt);
}

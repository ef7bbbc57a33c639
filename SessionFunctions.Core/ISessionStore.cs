namespace SessionFunctions;

/// <summary>When a store write applies.</summary>
public enum StoreWriteCondition
{
    /// <summary>Only when the key does not exist: a new session never overwrites another one (Redis <c>SET NX</c>).</summary>
    KeyAbsent,

    /// <summary>Only when the key exists: a save never resurrects a session that a concurrent request removed (Redis <c>SET XX</c>).</summary>
    KeyPresent,
}

/// <summary>
/// A session store: raw JSON strings under full keys (the prefix is already applied), each with a TTL.
/// An unreachable store throws <see cref="SessionStoreUnavailableException"/>, which the caller retries for up to
/// <see cref="SessionOptions.ReconnectTimeout"/>.
/// </summary>
public interface ISessionStore
{
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <returns>Whether the value was written (false when <paramref name="condition"/> did not hold).</returns>
    Task<bool> SetAsync(string key, string value, TimeSpan ttl, StoreWriteCondition condition, CancellationToken cancellationToken);

    Task DestroyAsync(string key, CancellationToken cancellationToken);
}

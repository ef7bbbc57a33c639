namespace SessionFunctions;

/// <summary>
/// koa's <c>store</c>: raw JSON strings under full keys (the prefix is already applied), each with a TTL.
/// An unreachable store throws <see cref="SessionStoreUnavailableException"/>, which the caller retries for up to
/// <see cref="SessionApiOptions.ReconnectTimeout"/>; a store that answers with an error throws
/// <see cref="SessionStoreErrorException"/>, which fails the request at once.
/// </summary>
public interface ISessionStore
{
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="value"/> only if <paramref name="key"/> does not exist, so a new session never overwrites
    /// another one (Redis <c>SET … NX</c>).
    /// </summary>
    /// <returns>Whether the value was written.</returns>
    Task<bool> CreateAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="value"/> only if <paramref name="key"/> exists, so a save never resurrects a removed
    /// session, and returns the value it replaced, in one atomic step (Redis <c>SET … XX GET</c>).
    /// </summary>
    /// <returns>The replaced value; null when the key did not exist and nothing was written.</returns>
    Task<string?> ReplaceAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Deletes <paramref name="key"/> (Redis <c>DEL</c>).</summary>
    /// <returns>Whether it existed: of two concurrent deletes, exactly one sees true.</returns>
    Task<bool> DestroyAsync(string key, CancellationToken cancellationToken);
}

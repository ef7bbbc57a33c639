using SessionFunctions.Configuration;

namespace SessionFunctions.Storage;

/// <summary>
/// koa's <c>store</c>: raw JSON strings under full keys (the prefix is already applied), each with a TTL in whole
/// seconds. Conditional operations compare the stored text by its <see cref="SessionHash">SHA-1</see>, atomically, so a
/// save never writes over a value it did not start from and never resurrects a removed session.
/// An unreachable store throws <see cref="SessionStoreUnavailableException"/>, which the caller retries for up to
/// <see cref="SessionApiOptions.ReconnectTimeout"/>; a store that answers with an error throws
/// <see cref="SessionStoreErrorException"/>, which fails the request at once.
/// </summary>
/// <remarks>
/// Every write takes a <c>deadline</c>: the moment the caller stops waiting and answers that the write failed (503
/// <c>store-unavailable</c>), on the caller's <see cref="TimeProvider"/>. The write must not take effect after it. A store
/// whose command can outlive the call (sent to a server that is paused or slow, or queued on a connection) checks the
/// deadline where the write happens, writes nothing once it has passed, and throws
/// <see cref="SessionStoreUnavailableException"/> with <see cref="SessionStoreUnavailableException.MayHaveRun"/> false.
/// A store that writes before the call returns meets it without looking. TTL-only changes (<see cref="GetAndTouchAsync"/>,
/// <see cref="TouchAsync"/>) take none: see docs/write-deadlines.md.
/// </remarks>
public interface ISessionStore
{
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Reads the value and gives the key a new TTL in one step (Redis <c>GETEX … EX</c>): koa's rolling re-save.</summary>
    /// <returns>The value; null when the key does not exist (nothing is changed then).</returns>
    Task<string?> GetAndTouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Gives an existing key a new TTL (Redis <c>EXPIRE</c>).</summary>
    Task<bool> TouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="value"/> only if <paramref name="key"/> does not exist, so a new session never overwrites
    /// another one (Redis <c>SET … NX</c>).
    /// </summary>
    /// <returns>Whether the value was written.</returns>
    Task<bool> CreateAsync(string key, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>
    /// Writes <paramref name="value"/> only if <paramref name="key"/> holds the text whose SHA-1 is
    /// <paramref name="expectedHash"/> (lower-case hex), in one atomic step; otherwise writes nothing and returns the
    /// current value.
    /// </summary>
    Task<SessionStoreWrite> ReplaceIfAsync(string key, string expectedHash, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>Deletes <paramref name="key"/> (Redis <c>DEL</c>).</summary>
    /// <returns>Whether it existed: of two concurrent deletes, exactly one sees true.</returns>
    Task<bool> DestroyAsync(string key, DateTimeOffset deadline, CancellationToken cancellationToken);

    /// <summary>Deletes <paramref name="key"/> only if it holds the text whose SHA-1 is <paramref name="expectedHash"/>, atomically.</summary>
    Task<SessionStoreWrite> DestroyIfAsync(string key, string expectedHash, DateTimeOffset deadline, CancellationToken cancellationToken);
}

using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SessionFunctions;

/// <summary>A session as read from the store: parsed, and the stored text it came from.</summary>
public sealed record StoredSession(JsonObject Data, string Json);

/// <summary>What a save wrote, and the value it replaced (null: the session no longer existed, and nothing was written).</summary>
public sealed record StoreReplacement(string Written, string? Replaced);

/// <summary>
/// koa-generic-session's store wrapper: adds the prefix, turns session objects into JSON and back, applies the
/// <see cref="TtlPolicy"/>, and waits up to <see cref="SessionOptions.ReconnectTimeout"/> for an unavailable store.
/// </summary>
public sealed class SessionRepository(
    ISessionStore store,
    TtlPolicy ttl,
    IOptions<SessionOptions> options,
    TimeProvider time,
    ILogger<SessionRepository> logger)
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly SessionOptions _options = options.Value;
    private readonly RecentSessionValues _recent = new(options.Value.RecentSessions);

    /// <summary>The stored session, or null when it is missing, not a JSON object, or past its <c>cookie.expires</c>.</summary>
    public async Task<StoredSession?> LoadAsync(string sessionId, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var json = await WhenAvailable(ct => store.GetAsync(key, ct), cancellationToken);
        if (json is null)
        {
            _recent.Forget(key);
            return null;
        }
        var stored = Read(json);
        // Only a usable session is worth remembering: a save would start from it.
        if (stored is null) _recent.Forget(key);
        else _recent.Remember(key, json);
        return stored;
    }

    /// <summary>
    /// The session as this instance last read or wrote it, without asking the store; null when it does not remember
    /// one. Only a guess: a save based on it checks what it replaced.
    /// </summary>
    public StoredSession? Recall(string sessionId) => _recent.Recall(StoreKey(sessionId)) is { } json ? Read(json) : null;

    /// <summary>
    /// The session read from stored text; null when the text is not a JSON object or the session is past its
    /// <c>cookie.expires</c>.
    /// </summary>
    public StoredSession? Read(string json)
    {
        var session = SessionJson.ParseObject(json);
        if (session is null)
        {
            Log.UnreadableSession(logger);
            return null;
        }
        // The key's TTL normally ends a session first; this also ends one whose expires was set later than its last save.
        var expires = session[SessionCookie.PropertyName] is JsonObject cookie && cookie.ContainsKey("expires")
            ? SessionCookie.Read(cookie, _options.Cookie).Expires
            : null;
        return expires is { } at && at <= time.GetUtcNow() ? null : new StoredSession(session, json);
    }

    /// <summary>Stores a new session, unless its id is taken.</summary>
    /// <param name="sessionId">The sid.</param>
    /// <param name="json">The session's JSON (<see cref="Session.ToJson"/>).</param>
    /// <param name="cookie">Its cookie options, which give the TTL.</param>
    /// <param name="cancellationToken">The request's.</param>
    /// <returns>Whether it was stored.</returns>
    public async Task<bool> CreateAsync(string sessionId, string json, SessionCookie cookie, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var lifetime = ttl.For(cookie, time.GetUtcNow());
        if (!await WhenAvailable(ct => store.CreateAsync(key, json, lifetime, ct), cancellationToken)) return false;
        _recent.Remember(key, json);
        return true;
    }

    /// <summary>Overwrites a stored session, if it still exists, and says what the write replaced.</summary>
    /// <param name="sessionId">The sid.</param>
    /// <param name="value">The session's JSON (<see cref="Session.ToJson"/>).</param>
    /// <param name="cookie">Its cookie options, which give the TTL.</param>
    /// <param name="cancellationToken">The request's.</param>
    public async Task<StoreReplacement> ReplaceAsync(string sessionId, string value, SessionCookie cookie, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var lifetime = ttl.For(cookie, time.GetUtcNow());
        var replaced = await WhenAvailable(ct => store.ReplaceAsync(key, value, lifetime, ct), cancellationToken);
        if (replaced is null) _recent.Forget(key);
        else _recent.Remember(key, value);
        return new StoreReplacement(value, replaced);
    }

    public Task DestroyAsync(string sessionId, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        _recent.Forget(key);
        return WhenAvailable(async ct =>
        {
            await store.DestroyAsync(key, ct);
            return true;
        }, cancellationToken);
    }

    public string StoreKey(string sessionId) => _options.Prefix + sessionId;

    private async Task<T> WhenAvailable<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + TimeSpan.FromMilliseconds(_options.ReconnectTimeout);
        var delay = FirstRetryDelay;
        while (true)
        {
            var remaining = deadline - time.GetUtcNow();
            try
            {
                if (remaining <= TimeSpan.Zero) throw new TimeoutException();
                return await operation(cancellationToken).WaitAsync(remaining, time, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new SessionStoreUnavailableException(
                    $"The session store did not answer within {_options.ReconnectTimeout} ms (Session:ReconnectTimeout).");
            }
            catch (SessionStoreUnavailableException error)
            {
                remaining = deadline - time.GetUtcNow();
                if (remaining <= TimeSpan.Zero) throw;
                Log.StoreUnavailableRetrying(logger, error.Message, remaining.TotalMilliseconds);
                await Task.Delay(delay < remaining ? delay : remaining, time, cancellationToken);
                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
        }
    }
}

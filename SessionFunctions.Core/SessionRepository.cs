using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SessionFunctions;

/// <summary>A session as read from the store: parsed, and the stored text it came from.</summary>
public sealed record StoredSession(JsonObject Data, string Json);

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

    /// <summary>The stored session, or null when it is missing, not a JSON object, or past its <c>cookie.expires</c>.</summary>
    public async Task<StoredSession?> LoadAsync(string sessionId, CancellationToken cancellationToken)
    {
        var json = await WhenAvailable(ct => store.GetAsync(StoreKey(sessionId), ct), cancellationToken);
        if (json is null) return null;
        var session = SessionJson.ParseObject(json);
        if (session is null)
        {
            Log.UnreadableSession(logger);
            return null;
        }
        // The key's TTL normally ends a session first; this also ends one whose expires was set later than its last save.
        var expires = SessionCookie.Read(session[SessionCookie.PropertyName] as JsonObject, _options.Cookie).Expires;
        return expires is { } at && at <= time.GetUtcNow() ? null : new StoredSession(session, json);
    }

    /// <returns>Whether the session was written; false when <paramref name="condition"/> did not hold.</returns>
    public Task<bool> SaveAsync(string sessionId, JsonObject session, SessionCookie cookie, StoreWriteCondition condition, CancellationToken cancellationToken)
    {
        var value = SessionJson.Serialize(session);
        var lifetime = ttl.For(cookie, time.GetUtcNow());
        return WhenAvailable(ct => store.SetAsync(StoreKey(sessionId), value, lifetime, condition, ct), cancellationToken);
    }

    public Task DestroyAsync(string sessionId, CancellationToken cancellationToken) =>
        WhenAvailable(async ct =>
        {
            await store.DestroyAsync(StoreKey(sessionId), ct);
            return true;
        }, cancellationToken);

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

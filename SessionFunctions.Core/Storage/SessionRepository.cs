using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SessionFunctions;

/// <summary>
/// The store as the lifecycle sees it, as Spring Session's <c>RedisSessionRepository</c> hides Redis: sessions by id,
/// parsed and checked for expiry, with their TTL from the <see cref="TtlPolicy"/>. It adds the key prefix, remembers
/// what this instance last read or wrote (<see cref="RecentSessionValues"/>), turns what a save replaced into a
/// <see cref="ReplaceOutcome"/>, and waits up to <see cref="SessionApiOptions.ReconnectTimeout"/> for an unavailable store.
/// </summary>
internal sealed class SessionRepository(
    ISessionStore store,
    TtlPolicy ttl,
    IOptions<SessionApiOptions> options,
    TimeProvider time,
    ILogger<SessionRepository> logger)
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly SessionApiOptions _options = options.Value;
    private readonly SessionCookieOptions _cookieDefaults = options.Value.Cookie;
    private readonly RecentSessionValues _recent = new(options.Value.RecentSessions);

    // When the current outage began (ticks of the clock), or 0: one Warning per outage, not one per retry.
    private long _unavailableSince;

    /// <summary>The stored session, or null when it is missing, not a JSON object, or past its <c>cookie.expires</c>.</summary>
    public async Task<StoredSession?> LoadAsync(string sessionId, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var json = await WhenAvailable(ct => store.GetAsync(key, ct), cancellationToken);
        var stored = json is null ? null : Read(json);
        // Only a usable session is worth remembering: a save would start from it.
        if (stored is null) _recent.Forget(key);
        else _recent.Remember(key, stored.Json);
        Log.SessionLoaded(logger, stored is not null);
        return stored;
    }

    /// <summary>
    /// The session as this instance last read or wrote it, without asking the store; null when it remembers none.
    /// Only a guess: a save based on it learns from <see cref="ReplaceAsync"/> whether it was right.
    /// </summary>
    public StoredSession? Recall(string sessionId)
    {
        var stored = _recent.Recall(StoreKey(sessionId)) is { } json ? Read(json) : null;
        Log.SessionRecalled(logger, stored is not null);
        return stored;
    }

    /// <summary>Stores a new session, unless its id is taken.</summary>
    /// <returns>Whether it was stored.</returns>
    public async Task<bool> CreateAsync(string sessionId, string json, SessionCookie cookie, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var lifetime = ttl.For(cookie, time.GetUtcNow());
        var created = await WhenAvailable(ct => store.CreateAsync(key, json, lifetime, ct), cancellationToken);
        if (created) _recent.Remember(key, json);
        Log.SessionStored(logger, "create", created);
        return created;
    }

    /// <summary>Overwrites a stored session, if it still exists, and says what the write replaced.</summary>
    /// <param name="sessionId">The sid.</param>
    /// <param name="json">The session's new text.</param>
    /// <param name="cookie">Its cookie options, which give the TTL.</param>
    /// <param name="expected">The text the save started from: what it believes the store holds.</param>
    /// <param name="cancellationToken">The request's.</param>
    public async Task<ReplaceOutcome> ReplaceAsync(string sessionId, string json, SessionCookie cookie, string expected, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var lifetime = ttl.For(cookie, time.GetUtcNow());
        var replaced = await WhenAvailable(ct => store.ReplaceAsync(key, json, lifetime, ct), cancellationToken);
        Log.SessionStored(logger, "replace", replaced is not null);
        if (replaced is null)
        {
            _recent.Forget(key);
            return ReplaceOutcome.Missing;
        }
        if (replaced == expected)
        {
            _recent.Remember(key, json);
            return ReplaceOutcome.AsExpected;
        }
        if (Read(replaced) is not { } other)
        {
            // The write landed on a session a load would not have found (expired or unreadable): take it back out.
            await DestroyAsync(sessionId, cancellationToken);
            return ReplaceOutcome.Missing;
        }
        _recent.Remember(key, json);
        return new ReplaceOutcome.ReplacedOther(other);
    }

    /// <summary>Deletes a session.</summary>
    /// <returns>Whether it existed.</returns>
    public Task<bool> DestroyAsync(string sessionId, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        _recent.Forget(key);
        return WhenAvailable(ct => store.DestroyAsync(key, ct), cancellationToken);
    }

    public string StoreKey(string sessionId) => _options.Prefix + sessionId;

    /// <summary>A usable session from stored text; null when it is not a JSON object or is past its <c>cookie.expires</c>.</summary>
    private StoredSession? Read(string json)
    {
        var session = SessionJson.ParseObject(json);
        if (session is null)
        {
            Log.UnreadableSession(logger);
            return null;
        }
        // The key's TTL normally ends a session first; this also ends one whose expires was set later than its last save.
        var expires = session[SessionCookie.PropertyName] is JsonObject cookie && cookie.ContainsKey("expires")
            ? SessionCookie.Read(cookie, _cookieDefaults).Expires
            : null;
        return expires is { } at && at <= time.GetUtcNow() ? null : new StoredSession(session, json);
    }

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
                var result = await operation(cancellationToken).WaitAsync(remaining, time, cancellationToken);
                EndOutage();
                return result;
            }
            catch (TimeoutException)
            {
                throw new SessionStoreUnavailableException(
                    $"The session store did not answer within {_options.ReconnectTimeout} ms (Session:ReconnectTimeout).");
            }
            catch (SessionStoreUnavailableException error)
            {
                BeginOutage(error);
                remaining = deadline - time.GetUtcNow();
                if (remaining <= TimeSpan.Zero) throw;
                Log.StoreUnavailableRetrying(logger, error.Message, remaining.TotalMilliseconds);
                await Task.Delay(delay < remaining ? delay : remaining, time, cancellationToken);
                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
        }
    }

    private void BeginOutage(SessionStoreUnavailableException error)
    {
        if (Interlocked.CompareExchange(ref _unavailableSince, time.GetUtcNow().UtcTicks, 0) == 0)
            Log.StoreUnavailable(logger, error.Message);
    }

    private void EndOutage()
    {
        // The common case reads one field and writes nothing.
        var since = Volatile.Read(ref _unavailableSince);
        if (since == 0 || Interlocked.CompareExchange(ref _unavailableSince, 0, since) != since) return;
        Log.StoreAvailableAgain(logger, (time.GetUtcNow().UtcTicks - since) / (double)TimeSpan.TicksPerMillisecond);
    }
}

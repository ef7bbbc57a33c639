using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Diagnostics;

namespace SessionFunctions.Storage;

/// <summary>
/// The store as the lifecycle sees it, as Spring Session's <c>RedisSessionRepository</c> hides Redis: sessions by id,
/// parsed, checked for expiry and hashed, with their TTL from the <see cref="TtlPolicy"/>. It adds the key prefix,
/// remembers what this instance last read or wrote (<see cref="RecentSessionValues"/>), turns what a conditional write
/// found into a <see cref="ConditionalWriteResult"/>, and waits up to <see cref="SessionApiOptions.ReconnectTimeout"/> for an
/// unavailable store. Each write carries the moment that wait ends to the store, which must not let the write take
/// effect after it: a write the API answered 503 for never happens later (docs/write-deadlines.md).
/// </summary>
internal sealed class SessionRepository(
    ISessionStore store,
    TtlPolicy ttl,
    IOptions<SessionApiOptions> options,
    TimeProvider time,
    SessionMetrics metrics,
    ILogger<SessionRepository> logger)
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    private readonly SessionApiOptions _options = options.Value;
    private readonly SessionCookie _defaultCookie = SessionCookie.Read(null, options.Value.Cookie);
    private readonly RecentSessionValues _recent = new(options.Value.RecentSessions);

    // When the current outage began (ticks of the clock), or 0: one Warning per outage, not one per retry.
    private long _unavailableSince;

    // Error replies (OOM …): one Warning per incident, not one per refused request.
    private readonly StoreErrorIncidents _errors = new(time, logger);

    /// <summary>The stored session, or null when it is missing or past its <c>cookie.expires</c>.</summary>
    /// <exception cref="SessionUnreadableException">The store holds a value this API cannot read as a session.</exception>
    public Task<StoredSession?> ReadAsync(string sessionId, CancellationToken cancellationToken) =>
        LoadAsync(sessionId, refreshTtl: false, cancellationToken);

    /// <summary>
    /// As <see cref="ReadAsync"/>, and gives the session a fresh TTL, as koa's rolling re-save does, in the same command:
    /// the TTL comes from what this instance remembers of the session (else the default cookie), and is corrected with a
    /// second command only if the session turns out to have other cookie options.
    /// </summary>
    public Task<StoredSession?> ReadAndTouchAsync(string sessionId, CancellationToken cancellationToken) =>
        LoadAsync(sessionId, refreshTtl: true, cancellationToken);

    /// <summary>
    /// The value a save starts from: what this instance last read or wrote, when it remembers it, else a read. A
    /// remembered value is only a guess (<see cref="StoredSession.Remembered"/>); the save's <see cref="ReplaceAsync"/>
    /// or <see cref="ConfirmAsync"/> learns from the store whether it was right, and answers with what the store holds
    /// when it was not. So a save of a session this instance served last is one round trip.
    /// </summary>
    /// <param name="sessionId">The sid.</param>
    /// <param name="replacesFields">
    /// The save replaces every field but <c>cookie</c> (a <c>PUT</c>): a session of which only the cookie object is
    /// remembered will do (<see cref="StoredSession.IsPartial"/>).
    /// </param>
    /// <param name="expected">
    /// The values the client's <c>If-Match</c> names, by hash, if it names any: a remembered value it does not name is not
    /// taken, since the memory may be what is stale, not the client.
    /// </param>
    /// <param name="cancellationToken">The request's.</param>
    public async Task<StoredSession?> ReadForSaveAsync(string sessionId, bool replacesFields, Func<string, bool>? expected, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var remembered = _recent.Recall(key);
        var guess = remembered switch
        {
            { Json: { } json } => ReadKnown(json, remembered),
            { CookieJson: { } cookie } when replacesFields && SessionJson.ParseObject(cookie) is { } parsed =>
                new StoredSession(new JsonObject { [SessionCookie.PropertyName] = parsed }, null, remembered.Hash),
            _ => null,
        };
        if (guess is not null && expected?.Invoke(guess.Hash) == false) guess = null;
        Log.SessionRecalled(logger, guess is not null);
        return guess is null ? await ReadAsync(sessionId, cancellationToken) : guess with { Remembered = true };
    }

    private async Task<StoredSession?> LoadAsync(string sessionId, bool refreshTtl, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var now = time.GetUtcNow();
        var guess = refreshTtl ? ttl.For(_recent.Recall(key)?.Cookie ?? _defaultCookie, now) : TimeSpan.Zero;
        var json = refreshTtl
            ? await WhenAvailable("get_touch", (_, ct) => store.GetAndTouchAsync(key, guess, ct), cancellationToken)
            : await WhenAvailable("get", (_, ct) => store.GetAsync(key, ct), cancellationToken);
        // Usually the text is what this instance last read or wrote: then its hash and cookie options are known, and
        // comparing the text costs far less than hashing it again (the ETag of every read) and reading the cookie object.
        var known = json is not null && _recent.Recall(key) is { Json: { } remembered } recalled && string.Equals(remembered, json, StringComparison.Ordinal)
            ? recalled
            : null;
        var stored = json is null ? null : known is null ? Read(json) : ReadKnown(json, known);
        Log.SessionLoaded(logger, stored is not null, known is not null);
        if (stored is null)
        {
            _recent.Forget(key);
            return null;
        }
        var cookie = known?.Cookie ?? Remember(key, stored);
        if (refreshTtl && ttl.For(cookie, now) is var actual && (actual - guess).Duration() > TimeSpan.FromSeconds(1))
            await WhenAvailable("touch", (_, ct) => store.TouchAsync(key, actual, ct), cancellationToken);
        return stored;
    }

    /// <summary>Stores a new session, unless its id is taken.</summary>
    /// <returns>Whether it was stored.</returns>
    public async Task<bool> CreateAsync(string sessionId, StoredSession value, SessionCookie cookie, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var lifetime = ttl.For(cookie, time.GetUtcNow());
        var attempt = await WriteWhenAvailable("create", (deadline, ct) => store.CreateAsync(key, value.Json!, lifetime, deadline, ct), cancellationToken);
        var created = attempt.Result;
        // A retried create finds the id taken when the attempt whose reply was lost did create it: then it is ours (a
        // fresh random id holding exactly this text is no one else's).
        if (!created && attempt.EarlierMayHaveRun) created = await WhenAvailable("get", (_, ct) => store.GetAsync(key, ct), cancellationToken) == value.Json;
        if (created)
        {
            Remember(key, value, cookie);
            _errors.Stored();
        }
        Log.SessionStored(logger, "create", created);
        return created;
    }

    /// <summary>Overwrites a stored session, only if it still holds <paramref name="basis"/>, the value the save started from.</summary>
    /// <param name="sessionId">The sid.</param>
    /// <param name="value">The session's new value.</param>
    /// <param name="cookie">Its cookie options, which give the TTL.</param>
    /// <param name="basis">What the save started from (<see cref="ReadForSaveAsync"/>): read, remembered, or what a conditional write answered.</param>
    /// <param name="cancellationToken">The request's.</param>
    public async Task<ConditionalWriteResult> ReplaceAsync(string sessionId, StoredSession value, SessionCookie cookie, StoredSession basis, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        var lifetime = ttl.For(cookie, time.GetUtcNow());
        var attempt = await WriteWhenAvailable("replace", (deadline, ct) => store.ReplaceIfAsync(key, basis.Hash, value.Json!, lifetime, deadline, ct), cancellationToken);
        var write = attempt.Result;
        // A retry that finds exactly its own value, after an attempt that may have run, found what that attempt wrote (or
        // the same text from another writer): the store holds what this save asked for, so it is done (RFC 9110 §13.1.1
        // allows a 2xx when the change is already in place), not a conflict or a 412.
        if (attempt.EarlierMayHaveRun && write.Status == SessionStoreWriteStatus.Changed && write.Current == value.Json) write = SessionStoreWrite.Done;
        Log.SessionStored(logger, "replace", write.Status == SessionStoreWriteStatus.Done);
        if (write.Status == SessionStoreWriteStatus.Done)
        {
            Remember(key, value, cookie);
            _errors.Stored();
        }
        return Result(key, write, basis);
    }

    /// <summary>
    /// For a save that changes nothing: whether the store still holds <paramref name="basis"/>. A value this request read
    /// is taken as confirmed (no command, as koa writes nothing then); a remembered one is read and compared.
    /// </summary>
    public async Task<ConditionalWriteResult> ConfirmAsync(string sessionId, StoredSession basis, CancellationToken cancellationToken)
    {
        if (!basis.Remembered) return ConditionalWriteResult.Done;
        var key = StoreKey(sessionId);
        var json = await WhenAvailable("get", (_, ct) => store.GetAsync(key, ct), cancellationToken);
        var write = json is null ? SessionStoreWrite.Missing
            : SessionHash.Of(json) == basis.Hash ? SessionStoreWrite.Done
            : SessionStoreWrite.Changed(json);
        return Result(key, write, basis);
    }

    /// <summary>Deletes a session.</summary>
    /// <returns>Whether it existed.</returns>
    public Task<bool> DestroyAsync(string sessionId, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        _recent.Forget(key);
        return WhenAvailable("destroy", (deadline, ct) => store.DestroyAsync(key, deadline, ct), cancellationToken);
    }

    /// <summary>Deletes a session, only if it still holds the text whose hash is <paramref name="expectedHash"/>.</summary>
    public async Task<ConditionalWriteResult> DestroyIfAsync(string sessionId, string expectedHash, CancellationToken cancellationToken)
    {
        var key = StoreKey(sessionId);
        // A retry that finds nothing is reported as gone even after an attempt that may have run: that attempt may have
        // deleted it, but so may a concurrent logout or sign-out, and a regenerate must not keep a copy of a session that
        // was signed out (it answers 409 instead, and the user logs in again).
        var write = await WhenAvailable("destroy_if", (deadline, ct) => store.DestroyIfAsync(key, expectedHash, deadline, ct), cancellationToken);
        if (write.Status == SessionStoreWriteStatus.Done) _recent.Forget(key);
        return Result(key, write, basis: null);
    }

    public string StoreKey(string sessionId) => _options.Prefix + sessionId;

    /// <param name="key">The store key.</param>
    /// <param name="write">What the store answered.</param>
    /// <param name="basis">What the operation started from, if it was a save: a missing value is news only if it was read.</param>
    private ConditionalWriteResult Result(string key, SessionStoreWrite write, StoredSession? basis)
    {
        if (write.Status == SessionStoreWriteStatus.Done) return ConditionalWriteResult.Done;
        // What the store holds now is what the next attempt starts from.
        if (write.Current is { } json && Read(json) is { } current)
        {
            Remember(key, current);
            return new ConditionalWriteResult.Changed(current);
        }
        // Missing, or a value a load would not have found (expired; an unreadable one threw).
        _recent.Forget(key);
        return basis is { Remembered: true } ? ConditionalWriteResult.NotFound : ConditionalWriteResult.Gone;
    }

    private SessionCookie Remember(string key, StoredSession stored, SessionCookie? cookie = null)
    {
        var cookieObject = stored.Data[SessionCookie.PropertyName] as JsonObject;
        cookie ??= SessionCookie.Read(cookieObject, _options.Cookie);
        if (stored.Json is not { } json) return cookie;
        string? cookieJson = null;
        if (json.Length > RecentSessionValues.MaxValueLength && cookieObject is not null && stored.Data.First().Key == SessionCookie.PropertyName)
        {
            // A PUT of a large session then needs no read: it keeps the cookie object first and replaces the rest.
            cookieJson = SessionJson.Serialize(cookieObject);
            if (cookieJson.Length > RecentSessionValues.MaxCookieLength) cookieJson = null;
        }
        _recent.Remember(key, new RememberedSession(cookie, stored.Hash, json.Length <= RecentSessionValues.MaxValueLength ? json : null, cookieJson));
        return cookie;
    }

    /// <summary>A usable session from stored text; null when it is past its <c>cookie.expires</c>.</summary>
    /// <exception cref="SessionUnreadableException">It is not a JSON object this API can read.</exception>
    private StoredSession? Read(string json)
    {
        // Not "missing": the key exists (for Koa too), and treating it as missing would clear the shared cookie and
        // orphan the value under a new session.
        var session = SessionJson.ParseObject(json, out var repeats);
        // JSON.parse reads it as null, which koa-generic-session takes for no session: so does this API.
        if (session is null && json.AsSpan().Trim(" \t\r\n") is "null") return null;
        if (session is null)
        {
            Log.UnreadableSession(logger);
            throw new SessionUnreadableException();
        }
        // The key's TTL normally ends a session first; this also ends one whose expires was set later than its last save,
        // and one past its absolute deadline (a key Koa saved with a longer TTL).
        if (session[SessionCookie.PropertyName] is JsonObject cookie
            && (cookie.ContainsKey("expires") || (_options.AbsoluteTimeout is not null && cookie.ContainsKey(SessionCookie.CreatedProperty))))
        {
            var read = SessionCookie.Read(cookie, _options.Cookie);
            var now = time.GetUtcNow();
            if (read.Expires <= now || read.AbsoluteDeadline(_options.AbsoluteTimeout) <= now) return null;
        }
        // A client gets the object read, not the repeats; the ETag and a save's compare-and-set still name the stored text.
        return repeats ? new StoredSession(session, SessionJson.Serialize(session), SessionHash.Of(json)) : StoredSession.Of(session, json);
    }

    /// <summary>As <see cref="Read"/>, for the text <paramref name="known"/> remembers: parsed, but neither hashed nor its cookie read again.</summary>
    private StoredSession? ReadKnown(string json, RememberedSession known)
    {
        var now = time.GetUtcNow();
        if (known.Cookie.Expires <= now || known.Cookie.AbsoluteDeadline(_options.AbsoluteTimeout) <= now) return null;
        // Only a JSON object is ever remembered, so this parse does not fail; should it, the text is read as unknown.
        return SessionJson.ParseObject(json) is { } data ? new StoredSession(data, json, known.Hash) : Read(json);
    }

    /// <summary>As <see cref="WhenAvailable{T}"/> for a write, and whether an attempt that failed may have run in the store.</summary>
    private async Task<WriteAttempt<T>> WriteWhenAvailable<T>(
        string operation, Func<DateTimeOffset, CancellationToken, Task<T>> command, CancellationToken cancellationToken)
    {
        var mayHaveRun = false;
        var result = await WhenAvailable(operation, async (deadline, ct) =>
        {
            try
            {
                return await command(deadline, ct);
            }
            catch (SessionStoreUnavailableException error) when (error.MayHaveRun)
            {
                mayHaveRun = true;
                throw;
            }
        }, cancellationToken);
        return new WriteAttempt<T>(result, mayHaveRun);
    }

    /// <summary>
    /// Runs one store command, measured; retries it while the store is unavailable, for up to ReconnectTimeout. Internal
    /// for the user index's commands (UserIndex/UserIndexCommands.cs), which wait for the same store the same way.
    /// </summary>
    /// <param name="operation">The metric's name for it.</param>
    /// <param name="command">
    /// The command, given the moment this gives up and answers unavailable: a write passes it to the store, so that an
    /// attempt still on its way (sent to a paused server, or queued) does nothing once the answer may have been given.
    /// Every attempt gets the same moment.
    /// </param>
    /// <param name="cancellationToken">The request's.</param>
    internal async Task<T> WhenAvailable<T>(string operation, Func<DateTimeOffset, CancellationToken, Task<T>> command, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + TimeSpan.FromMilliseconds(_options.ReconnectTimeout);
        var delay = FirstRetryDelay;
        var waiting = false;
        try
        {
            while (true)
            {
                var remaining = deadline - time.GetUtcNow();
                using (var call = metrics.StartStoreCall(operation))
                {
                    try
                    {
                        if (remaining <= TimeSpan.Zero) throw new TimeoutException();
                        var result = await command(deadline, cancellationToken).WaitAsync(remaining, time, cancellationToken);
                        call.Outcome = "ok";
                        EndOutage();
                        return result;
                    }
                    catch (TimeoutException)
                    {
                        call.Outcome = "unavailable";
                        // No answer for the whole wait (a paused or unreachable server the client still counts as
                        // connected) is an outage like a refused connection.
                        BeginOutage(new SessionStoreUnavailableException("The session store did not answer."));
                        throw new SessionStoreUnavailableException(
                            $"The session store did not answer within {_options.ReconnectTimeout} ms (Session:ReconnectTimeout).");
                    }
                    catch (SessionStoreErrorException error)
                    {
                        _errors.Refused(error);
                        throw;
                    }
                    catch (SessionStoreUnavailableException error)
                    {
                        call.Outcome = "unavailable";
                        BeginOutage(error);
                        remaining = deadline - time.GetUtcNow();
                        if (remaining <= TimeSpan.Zero) throw;
                        Log.StoreUnavailableRetrying(logger, error.Message, remaining.TotalMilliseconds);
                    }
                }
                if (!waiting)
                {
                    waiting = true;
                    metrics.ReconnectWait(+1);
                }
                await Task.Delay(delay < remaining ? delay : remaining, time, cancellationToken);
                delay = delay * 2 < MaxRetryDelay ? delay * 2 : MaxRetryDelay;
            }
        }
        finally
        {
            if (waiting) metrics.ReconnectWait(-1);
        }
    }

    private void BeginOutage(SessionStoreUnavailableException error)
    {
        if (Interlocked.CompareExchange(ref _unavailableSince, time.GetUtcNow().UtcTicks, 0) != 0) return;
        metrics.Outage();
        Log.StoreUnavailable(logger, error.Message);
    }

    private void EndOutage()
    {
        // The common case reads one field and writes nothing.
        var since = Volatile.Read(ref _unavailableSince);
        if (since == 0 || Interlocked.CompareExchange(ref _unavailableSince, 0, since) != since) return;
        Log.StoreAvailableAgain(logger, (time.GetUtcNow().UtcTicks - since) / (double)TimeSpan.TicksPerMillisecond);
    }

    /// <summary>What a write returned, and whether an earlier attempt of it, whose reply was lost, may have run in the store.</summary>
    private readonly record struct WriteAttempt<T>(T Result, bool EarlierMayHaveRun);
}

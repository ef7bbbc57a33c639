using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace SessionFunctions;

/// <summary>The outcome of <see cref="SessionLifecycle.CommitAsync"/>: the session as it ends the request, and whether it was stored.</summary>
public sealed record SessionCommit(Session Session, bool Stored);

/// <summary>
/// koa-generic-session's request lifecycle, in the order koa runs it: find the sid, load the session (or start a new
/// one), and at the end save it only when it changed, when rolling, or when the endpoint forces it.
/// The endpoints call these steps; nothing else touches the store or the cookies.
/// </summary>
public sealed class SessionLifecycle(
    SessionRepository repository,
    ISessionIdStore ids,
    ISessionIdGenerator generator,
    ISessionValidator validator,
    IBeforeSessionSave beforeSave,
    ISessionErrorHandler errors,
    IOptions<SessionOptions> options,
    TimeProvider time)
{
    private const int MaxIdCollisions = 3;
    private const int MaxWriteConflicts = 3;
    private const string RemovedDetail = "The session was removed between this save's read and its write; nothing was saved.";
    private const string ChangingDetail = "Other requests kept changing the session's cookie options during this save; the last attempt stands. Retry to be sure.";

    private readonly SessionOptions _options = options.Value;
    private readonly SessionCookie _defaultCookie = SessionCookie.Read(null, options.Value.Cookie);

    // A custom validator may judge a session by the request; it must see what the store holds, not a remembered value.
    private readonly bool _recallAllowed = validator is AcceptAllSessionValidator;

    // Handing the session to a hook counts as a change that must be written out again; the default hook does nothing.
    private readonly bool _hasBeforeSave = beforeSave is not NoBeforeSessionSave;

    /// <summary>
    /// koa's getSession. A request without a usable sid, or whose session is missing, unreadable or not
    /// <see cref="ISessionValidator">valid</see>, gets a new session under a new id (a client's id is never adopted),
    /// and the clearing cookies when it sent a sid.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="recall">
    /// Take the value this instance last read or wrote, when it remembers one, instead of reading: for a request that
    /// is going to save, whose save checks that guess (<see cref="CommitAsync"/>).
    /// </param>
    public async Task<Session> LoadAsync(HttpContext http, bool recall = false)
    {
        var incoming = ids.Get(http);
        if (incoming.Id is null)
        {
            if (incoming.Stale) ids.Reset(http, _defaultCookie);
            return await NewAsync(http);
        }

        if (recall && _recallAllowed && repository.Recall(incoming.Id) is { } recalled)
            return Session.Loaded(incoming.Id, recalled, _options.Cookie, incoming.SignedWithOldKey, recalled: true);

        StoredSession? stored = null;
        try
        {
            stored = await repository.LoadAsync(incoming.Id, http.RequestAborted);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            errors.OnStoreError(error, SessionStoreOperation.Get, http);
        }

        if (stored is null || !validator.IsValid(http, stored.Data))
        {
            ids.Reset(http, _defaultCookie);
            return await NewAsync(http);
        }
        return Session.Loaded(incoming.Id, stored, _options.Cookie, incoming.SignedWithOldKey);
    }

    /// <summary>koa's generateSession: a new id and a copy of the configured cookie options.</summary>
    public async Task<Session> NewAsync(HttpContext http) => Session.New(await generator.GenerateAsync(http), EmptySession());

    /// <summary>A new id holding a copy of <paramref name="source"/>'s data, cookie options included.</summary>
    public async Task<Session> NewAsync(HttpContext http, Session source) =>
        Session.New(await generator.GenerateAsync(http), (JsonObject)source.Data.DeepClone());

    /// <summary>The verified sid the request carries, without reading the store.</summary>
    public string? IncomingId(HttpContext http) => ids.Get(http).Id;

    /// <summary>
    /// koa's refreshSession: stores the session and sends the cookie pair when <paramref name="force"/> is set, when
    /// it changed, or when rolling; never stores an untouched new session unless AllowEmpty is set.
    /// </summary>
    /// <remarks>
    /// Unlike koa, a save is never based on a value other than the one it replaces. The store's write returns what
    /// it replaced; when that is not what the session was loaded from (a concurrent request, or Koa, wrote in between,
    /// or <see cref="LoadAsync"/> recalled a stale value), <paramref name="change"/> is applied again to the value
    /// that was replaced and the result written over the first attempt. koa's last-writer-wins would instead keep the
    /// first attempt and lose the other write. A save that keeps conflicting gets 409.
    /// </remarks>
    /// <param name="http">The request.</param>
    /// <param name="session">The session as loaded and changed by the endpoint.</param>
    /// <param name="change">What the endpoint did to the loaded session, to do again on a newer value; null for none.</param>
    /// <param name="force">Store the session even if it did not change.</param>
    /// <returns>The session as finally stored (or not), and whether it was stored.</returns>
    public async Task<SessionCommit> CommitAsync(HttpContext http, Session session, Action<Session>? change = null, bool force = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (!force && !session.MustRewrite && !MustSave(session))
            {
                if (session.Recalled)
                {
                    // "Unchanged" compared with a remembered value proves nothing about the store: read, and decide again.
                    session = await ReloadAsync(http, change);
                    continue;
                }
                if (session.ResignCookie) ids.Set(http, session.Id, CookieOf(session));
                return new SessionCommit(session, false);
            }
            if (session.IsNew) return new SessionCommit(session, await CreateAsync(http, session));

            var write = await StoreAsync(http, session);
            if (write is null) return new SessionCommit(session, false);
            if (write.Replaced != session.Expected)
            {
                if (write.Replaced is null)
                {
                    // A session that was read and then vanished was removed concurrently; one only remembered may be long gone.
                    if (!session.Recalled) throw new SessionProblemException(SessionProblem.Conflict, RemovedDetail);
                    session = await ReloadAsync(http, change);
                    continue;
                }
                if (repository.Read(write.Replaced) is not { } replaced)
                {
                    // What was replaced had expired or was unreadable: a load would have found no session, so neither do we.
                    await repository.DestroyAsync(session.Id, http.RequestAborted);
                    session = await ReloadAsync(http, change);
                    continue;
                }
                // Another writer got in between: apply the change again to the value it replaced, and write that over
                // the first attempt, unless it is what was written (a PUT that keeps the cookie options replaces every field).
                session = Session.Loaded(session.Id, replaced, _options.Cookie, session.ResignCookie, expected: write.Written);
                change?.Invoke(session);
                if (session.ToJson() != write.Written)
                {
                    if (attempt == MaxWriteConflicts) throw new SessionProblemException(SessionProblem.Conflict, ChangingDetail);
                    continue;
                }
            }
            ids.Set(http, session.Id, CookieOf(session));
            return new SessionCommit(session, true);
        }
    }

    /// <summary>
    /// Stores the new <paramref name="session"/> even when empty, and deletes <paramref name="replacedId"/>, if any, in the
    /// same round trip: the two commands are sent together.
    /// </summary>
    public async Task CreateAsync(HttpContext http, Session session, string? replacedId)
    {
        var destroy = replacedId is null ? Task.CompletedTask : repository.DestroyAsync(replacedId, http.RequestAborted);
        try
        {
            await CommitAsync(http, session, force: true);
        }
        finally
        {
            await destroy;
        }
    }

    /// <summary>koa's <c>ctx.session = null</c>: the clearing cookies, then the store delete. Needs no read.</summary>
    public async Task RemoveAsync(HttpContext http)
    {
        var incoming = ids.Get(http);
        ids.Reset(http, _defaultCookie);
        if (incoming.Id is not null) await repository.DestroyAsync(incoming.Id, http.RequestAborted);
    }

    /// <summary>Whether the request is HTTPS, as koa's <c>ctx.request.secure</c>.</summary>
    public bool IsSecure(HttpContext http) => RequestSecurity.IsSecure(http.Request, _options.TrustForwardedProto);

    public DateTimeOffset Now => time.GetUtcNow();

    private bool MustSave(Session session)
    {
        if (session.IsNew)
            return _options.AllowEmpty || !JsonNode.DeepEquals(session.Current, EmptySession());
        // Like koa, which compares hashes of JSON.stringify: changed means its JSON changed. A session Koa stored with
        // other spacing or escaping is written once more, which only makes the text ours.
        return _options.Rolling || (session.Touched && session.ToJson() != session.StoredJson);
    }

    private async Task<Session> ReloadAsync(HttpContext http, Action<Session>? change)
    {
        var session = await LoadAsync(http);
        change?.Invoke(session);
        return session;
    }

    /// <summary>Stores a new session under its id, or under a fresh one should the id be taken.</summary>
    private async Task<bool> CreateAsync(HttpContext http, Session session)
    {
        if (_hasBeforeSave) beforeSave.BeforeSave(http, session.Data);
        var cookie = CookieOf(session);
        try
        {
            for (var attempt = 1; !await repository.CreateAsync(session.Id, session.ToJson(), cookie, http.RequestAborted); attempt++)
            {
                // 192 random bits make a collision practically impossible, but a custom generator may be weaker.
                if (attempt == MaxIdCollisions) throw new InvalidOperationException("The session id generator keeps returning ids that exist.");
                session.Id = await generator.GenerateAsync(http);
            }
            ids.Set(http, session.Id, cookie);
            return true;
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            errors.OnStoreError(error, SessionStoreOperation.Set, http);
            return false;
        }
    }

    /// <summary>Overwrites a loaded session; null when the store failed and the error handler chose to go on.</summary>
    private async Task<StoreReplacement?> StoreAsync(HttpContext http, Session session)
    {
        if (_hasBeforeSave) beforeSave.BeforeSave(http, session.Data);
        try
        {
            return await repository.ReplaceAsync(session.Id, session.ToJson(), CookieOf(session), http.RequestAborted);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            errors.OnStoreError(error, SessionStoreOperation.Set, http);
            return null;
        }
    }

    private SessionCookie CookieOf(Session session) =>
        SessionCookie.Read((JsonObject)session.Current[SessionCookie.PropertyName]!, _options.Cookie);

    private JsonObject EmptySession() => new() { [SessionCookie.PropertyName] = SessionCookie.NewJson(_options.Cookie) };
}

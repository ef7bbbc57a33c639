using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace SessionFunctions;

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

    private readonly SessionOptions _options = options.Value;
    private readonly SessionCookie _defaultCookie = SessionCookie.Read(null, options.Value.Cookie);

    /// <summary>
    /// koa's getSession. A request without a usable sid, or whose session is missing, unreadable or not
    /// <see cref="ISessionValidator">valid</see>, gets a new session under a new id (a client's id is never adopted),
    /// and the clearing cookies when it sent a sid.
    /// </summary>
    public async Task<Session> LoadAsync(HttpContext http)
    {
        var incoming = ids.Get(http);
        if (incoming.Id is null)
        {
            if (incoming.Stale) ids.Reset(http, _defaultCookie);
            return await NewAsync(http);
        }

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
    /// <returns>Whether the session was stored.</returns>
    public async Task<bool> CommitAsync(HttpContext http, Session session, bool force = false)
    {
        if (!force && !MustSave(session))
        {
            if (session.ResignCookie) ids.Set(http, session.Id, CookieOf(session));
            return false;
        }
        return await SaveAsync(http, session);
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
        return _options.Rolling || (session.Touched && !JsonNode.DeepEquals(session.Current, session.Original));
    }

    private async Task<bool> SaveAsync(HttpContext http, Session session)
    {
        beforeSave.BeforeSave(http, session.Data);
        var cookie = CookieOf(session);
        var condition = session.IsNew ? StoreWriteCondition.KeyAbsent : StoreWriteCondition.KeyPresent;
        try
        {
            for (var attempt = 1; !await repository.SaveAsync(session.Id, session.Data, cookie, condition, http.RequestAborted); attempt++)
            {
                if (!session.IsNew) throw new SessionProblemException(SessionProblem.Conflict);
                // 192 random bits make a collision practically impossible, but a custom generator may be weaker.
                if (attempt == MaxIdCollisions) throw new InvalidOperationException("The session id generator keeps returning ids that exist.");
                session.Id = await generator.GenerateAsync(http);
            }
            ids.Set(http, session.Id, cookie);
            return true;
        }
        catch (Exception error) when (error is not (OperationCanceledException or SessionProblemException))
        {
            errors.OnStoreError(error, SessionStoreOperation.Set, http);
            return false;
        }
    }

    private SessionCookie CookieOf(Session session) => SessionCookie.Read(session.Cookie, _options.Cookie);

    private JsonObject EmptySession() => new() { [SessionCookie.PropertyName] = SessionCookie.NewJson(_options.Cookie) };
}

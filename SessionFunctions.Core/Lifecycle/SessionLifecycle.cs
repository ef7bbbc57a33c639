using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SessionFunctions;

/// <summary>
/// koa-generic-session's request lifecycle, as the five operations of the API: create, get, save, regenerate and
/// remove. Each reads top to bottom as koa's <c>session(ctx, next)</c> does: find the sid, load the session (or start a
/// new one), apply the request's edit, and store it only when it changed (or when rolling). Each returns an explicit
/// <see cref="SessionOutcome"/>; the HTTP layer only translates. Nothing else touches the store or the cookies.
/// </summary>
/// <remarks>
/// The rules every operation keeps: a client's id is never adopted (a missing, unreadable or invalid session gets a new
/// id); cookies change only once the store has done what they announce; a failed operation leaves the client's cookies
/// and the stored sessions as they were.
/// </remarks>
internal sealed class SessionLifecycle(
    SessionRepository repository,
    ISessionIdStore ids,
    ISessionIdGenerator generator,
    ISessionValidator validator,
    IBeforeSessionSave beforeSave,
    ISessionErrorHandler errors,
    IOptions<SessionApiOptions> options,
    TimeProvider time,
    ILogger<SessionLifecycle> logger)
{
    private const int MaxIdCollisions = 3;
    private const int MaxWrites = 3;
    private const string RemovedDetail = "The session was removed between this save's read and its write; nothing was saved.";
    private const string ChangingDetail = "Other requests kept changing the session's cookie options during this save; the last attempt stands. Retry to be sure.";
    private const string RegeneratedDetail = "The session was regenerated or removed by a concurrent request; this request changed nothing.";

    private readonly SessionApiOptions _options = options.Value;
    private readonly SessionCookie _defaultCookie = SessionCookie.Read(null, options.Value.Cookie);

    // A custom validator may judge a session by the request; it must see what the store holds, not a remembered value.
    private readonly bool _recallAllowed = validator is AcceptAllSessionValidator;

    // The default hook does nothing, and skipping it keeps an unchanged session's JSON from being written again.
    private readonly bool _hasBeforeSave = beforeSave is not NoBeforeSessionSave;

    /// <summary><c>POST /api/session</c>: a new session, stored even when empty; the request's own session is deleted once it is.</summary>
    public async Task<SessionOutcome> CreateAsync(HttpContext http, SessionEdit? edit)
    {
        var replaced = ids.Get(http).Id;
        var session = await NewAsync(http, NewData());
        if (edit is not null) Apply(http, session, edit);
        if (!await StoreNewAsync(http, session)) return SessionOutcome.NotStored;
        if (replaced is not null) await DestroyReplacedAsync(http, replaced, session);
        ids.Set(http, session.Id, CookieOf(session));
        return SessionOutcome.Created(session);
    }

    /// <summary><c>GET /api/session</c>: one read; a write only when rolling, or to give a stored session its cookie object.</summary>
    public async Task<SessionOutcome> GetAsync(HttpContext http)
    {
        var session = await LoadAsync(http, recall: false);
        if (session is null) return SessionOutcome.NotFound;
        return await CommitAsync(http, session, edit: null);
    }

    /// <summary>
    /// <c>PUT /api/session</c>: replaces the fields, and stores only a change. Starts from the value this instance
    /// remembers, if any, so a save is usually one store command. Without a session it creates one, under a new id.
    /// </summary>
    public async Task<SessionOutcome> SaveAsync(HttpContext http, SessionEdit edit)
    {
        var session = await LoadAsync(http, recall: true);
        if (session is null) return await CreateForSaveAsync(http, edit);
        Apply(http, session, edit);
        return await CommitAsync(http, session, edit);
    }

    /// <summary>
    /// <c>POST /api/session/regenerate</c>: the session under a new id (after login, say), holding <paramref name="edit"/>
    /// if given, else a copy of the old data. Unlike koa (bug #110) the new session is always stored, and the old one is
    /// deleted only after it is; of concurrent regenerates of one session, only the one whose delete removes it wins.
    /// </summary>
    public async Task<SessionOutcome> RegenerateAsync(HttpContext http, SessionEdit? edit)
    {
        var current = await LoadAsync(http, recall: false);
        if (current is null) return SessionOutcome.NotFound;
        var next = await NewAsync(http, (JsonObject)current.Data.DeepClone());
        if (edit is not null) Apply(http, next, edit);
        if (!await StoreNewAsync(http, next)) return SessionOutcome.NotStored;
        if (!await DestroyReplacedAsync(http, current.Id, next))
        {
            // Another request regenerated or removed it first. Its cookies stand: answering with ours would undo them.
            await TryDestroyAsync(next.Id);
            Log.RegenerateLost(logger);
            return SessionOutcome.Conflict(RegeneratedDetail);
        }
        ids.Set(http, next.Id, CookieOf(next));
        return SessionOutcome.Ok(next);
    }

    /// <summary><c>DELETE /api/session</c>: one store delete, then the clearing cookies. Needs no read; idempotent.</summary>
    public async Task<SessionOutcome> RemoveAsync(HttpContext http)
    {
        var id = ids.Get(http).Id;
        // Delete first: a delete that fails must leave the cookies, so the client can retry (and the session is not left alive unnoticed).
        if (id is not null) await repository.DestroyAsync(id, http.RequestAborted);
        ids.Reset(http, _defaultCookie);
        return SessionOutcome.Removed;
    }

    /// <summary>
    /// koa's getSession: the request's session, or null when it has no usable sid, or its session is missing,
    /// unreadable or not <see cref="ISessionValidator">valid</see>; the clearing cookies then go to a client that sent a sid.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="recall">
    /// Take the value this instance last read or wrote, when it remembers one, instead of reading: for a request that
    /// is going to save, whose write checks that guess (<see cref="CommitAsync"/>).
    /// </param>
    private async Task<Session?> LoadAsync(HttpContext http, bool recall)
    {
        var incoming = ids.Get(http);
        if (incoming.Id is null)
        {
            if (incoming.Stale) ids.Reset(http, _defaultCookie);
            return null;
        }

        if (recall && _recallAllowed && repository.Recall(incoming.Id) is { } recalled)
            return Session.Loaded(incoming.Id, recalled, _options.Cookie, incoming.SignedWithOldKey, recalled: true);

        StoredSession? stored;
        try
        {
            stored = await repository.LoadAsync(incoming.Id, http.RequestAborted);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            errors.OnStoreError(error, SessionStoreOperation.Get, http);
            // The handler chose to go on without the session; it may well exist, so the client keeps its cookies.
            return null;
        }

        if (stored is null || !validator.IsValid(http, stored.Data))
        {
            ids.Reset(http, _defaultCookie);
            return null;
        }
        return Session.Loaded(incoming.Id, stored, _options.Cookie, incoming.SignedWithOldKey);
    }

    /// <summary>
    /// koa's refreshSession for a stored session: writes it when it changed (or when rolling) and sends the cookie pair.
    /// </summary>
    /// <remarks>
    /// Unlike koa, a save is never based on a value other than the one it replaces. The store's write returns what it
    /// replaced; when that is not what the session was loaded from (a concurrent request, or Koa, wrote in between, or
    /// the load recalled a stale value), <paramref name="edit"/> is applied again to the value that was replaced and the
    /// result written over the first attempt. koa's last-writer-wins would keep the first attempt and lose the other
    /// write. At most <see cref="MaxWrites"/> writes; then 409.
    /// </remarks>
    private async Task<SessionOutcome> CommitAsync(HttpContext http, Session session, SessionEdit? edit)
    {
        var refreshTtl = _options.Rolling;
        var writes = 0;
        while (true)
        {
            if (!refreshTtl && !session.HasChanges)
            {
                if (session.Recalled)
                {
                    // "Unchanged" compared with a remembered value proves nothing about the store: read, and decide again.
                    var reloaded = await LoadAsync(http, recall: false);
                    if (reloaded is null) return edit is null ? SessionOutcome.Conflict(RemovedDetail) : await CreateForSaveAsync(http, edit);
                    session = reloaded;
                    if (edit is not null) Apply(http, session, edit);
                    continue;
                }
                if (session.ResignCookie || writes > 0) ids.Set(http, session.Id, CookieOf(session));
                return SessionOutcome.Ok(session);
            }
            if (writes == MaxWrites)
            {
                Log.SaveConflict(logger, writes);
                return SessionOutcome.Conflict(ChangingDetail);
            }

            writes++;
            var outcome = await ReplaceAsync(http, session);
            if (outcome is null) return SessionOutcome.NotStored;
            if (outcome == ReplaceOutcome.AsExpected)
            {
                session.MarkStored();
                ids.Set(http, session.Id, CookieOf(session));
                return SessionOutcome.Ok(session);
            }
            if (outcome is ReplaceOutcome.ReplacedOther other)
            {
                // Another writer got in between: the store holds this attempt, over a value it should have started from.
                session.MarkStored();
                session = Session.Rebased(session, other.Replaced, _options.Cookie);
                refreshTtl = false; // the attempt refreshed it
                Log.SaveRedone(logger);
            }
            else
            {
                // Missing. A session that was read and then vanished was removed concurrently; one only remembered may be long gone.
                if (!session.Recalled) return SessionOutcome.Conflict(RemovedDetail);
                var reloaded = await LoadAsync(http, recall: false);
                if (reloaded is null) return edit is null ? SessionOutcome.Conflict(RemovedDetail) : await CreateForSaveAsync(http, edit);
                session = reloaded;
            }
            if (edit is not null) Apply(http, session, edit);
        }
    }

    /// <summary>A save without a usable session: a new one under a new id, stored unless empty (as koa does).</summary>
    private async Task<SessionOutcome> CreateForSaveAsync(HttpContext http, SessionEdit edit)
    {
        var session = await NewAsync(http, NewData());
        Apply(http, session, edit);
        if (!_options.AllowEmpty && JsonNode.DeepEquals(session.Data, NewData())) return SessionOutcome.Ok(session);
        if (!await StoreNewAsync(http, session)) return SessionOutcome.NotStored;
        ids.Set(http, session.Id, CookieOf(session));
        return SessionOutcome.Created(session);
    }

    /// <summary>Applies a request's edit: its fields replace the session's, and its cookie overrides are checked and applied.</summary>
    private void Apply(HttpContext http, Session session, SessionEdit edit)
    {
        session.ReplaceFields(edit.Fields);
        if (edit.CookieOverrides is not null)
        {
            var secure = RequestSecurity.IsSecure(http.Request, _options.TrustForwardedProto);
            CookieOverrides.Apply(session.Cookie, edit.CookieOverrides, secure, time.GetUtcNow());
        }
    }

    /// <summary>koa's generateSession: a new id.</summary>
    private async Task<Session> NewAsync(HttpContext http, JsonObject data) => Session.New(await generator.GenerateAsync(http), data);

    /// <summary>A new session's data: the configured cookie options and no fields.</summary>
    private JsonObject NewData() => new() { [SessionCookie.PropertyName] = SessionCookie.NewJson(_options.Cookie) };

    /// <summary>Stores a new session under its id, or under a fresh one should the id be taken; false when the error handler went on.</summary>
    private async Task<bool> StoreNewAsync(HttpContext http, Session session)
    {
        BeforeSave(http, session);
        for (var attempt = 1; ; attempt++)
        {
            bool created;
            try
            {
                created = await repository.CreateAsync(session.Id, session.ToJson(), CookieOf(session), http.RequestAborted);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                errors.OnStoreError(error, SessionStoreOperation.Set, http);
                return false;
            }
            if (created)
            {
                session.MarkStored();
                return true;
            }
            // 192 random bits make a collision practically impossible, but a custom generator may be weaker. That is a bug
            // in the generator, not a store failure, so it is not the error handler's to judge.
            if (attempt == MaxIdCollisions) throw new InvalidOperationException("The session id generator keeps returning ids that exist.");
            session.MoveTo(await generator.GenerateAsync(http));
        }
    }

    /// <summary>Overwrites a stored session; null when the store failed and the error handler chose to go on.</summary>
    private async Task<ReplaceOutcome?> ReplaceAsync(HttpContext http, Session session)
    {
        BeforeSave(http, session);
        try
        {
            return await repository.ReplaceAsync(session.Id, session.ToJson(), CookieOf(session), session.Expected!, http.RequestAborted);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            errors.OnStoreError(error, SessionStoreOperation.Set, http);
            return null;
        }
    }

    /// <summary>
    /// Deletes the session a new one replaces, once the new one is stored. Should the delete fail, the new session is
    /// taken back out, so the request changes nothing and the client keeps its session.
    /// </summary>
    /// <returns>Whether the replaced session still existed.</returns>
    private async Task<bool> DestroyReplacedAsync(HttpContext http, string replacedId, Session replacement)
    {
        try
        {
            return await repository.DestroyAsync(replacedId, http.RequestAborted);
        }
        catch
        {
            await TryDestroyAsync(replacement.Id);
            throw;
        }
    }

    /// <summary>Best effort, for a session no client has the id of: it would expire by itself.</summary>
    private async Task TryDestroyAsync(string sessionId)
    {
        try
        {
            await repository.DestroyAsync(sessionId, CancellationToken.None);
        }
        catch (Exception error) when (error is SessionStoreUnavailableException or SessionStoreErrorException)
        {
            Log.OrphanLeft(logger, error.Message);
        }
    }

    private void BeforeSave(HttpContext http, Session session)
    {
        if (!_hasBeforeSave) return;
        beforeSave.BeforeSave(http, session.Data);
        session.MarkChanged();
    }

    private SessionCookie CookieOf(Session session) => SessionCookie.Read(session.Cookie, _options.Cookie);
}

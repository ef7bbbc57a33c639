using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Diagnostics;
using SessionFunctions.Extensibility;
using SessionFunctions.Storage;
using SessionFunctions.UserIndex;

namespace SessionFunctions.Lifecycle;

/// <summary>
/// koa-generic-session's request lifecycle, as the operations of the API: create, get, save (replace or merge),
/// regenerate and remove. Each reads top to bottom as koa's <c>session(ctx, next)</c> does: find the sid, load the
/// session (or start a new one), check the request's precondition, apply its edit, and store the session only when it
/// changed. Each returns an explicit <see cref="SessionOutcome"/>; the HTTP layer only translates.
/// Nothing else touches the store or the cookies.
/// </summary>
/// <remarks>
/// The rules every operation keeps: a client's id is never adopted (a missing, unreadable or invalid session gets a new
/// id); a write lands only on the value it was computed from (the store compares hashes), so no reader ever sees a
/// value built on a stale one and no concurrent write is lost; cookies change only once the store has done what they
/// announce; a failed operation leaves the client's cookies and the stored sessions as they were.
/// </remarks>
internal sealed partial class SessionLifecycle(
    SessionRepository repository,
    ISessionIdStore ids,
    ISessionIdGenerator generator,
    ISessionValidator validator,
    IBeforeSessionSave beforeSave,
    ISessionErrorHandler errors,
    ProtectedFields protectedFields,
    IUserSessionIndex index,
    IOptions<SessionApiOptions> options,
    TimeProvider time,
    SessionMetrics metrics,
    ILogger<SessionLifecycle> logger)
{
    private const int MaxIdCollisions = 3;
    private const string RemovedDetail = "The session was removed between this save's read and its write; nothing was saved.";
    private const string ChangingDetail = "Other instances kept changing the session during this save; nothing was saved. Retry.";
    private const string RegeneratedDetail = "The session was regenerated or removed by a concurrent request; this request changed nothing.";

    private readonly SessionApiOptions _options = options.Value;
    private readonly SessionCookie _defaultCookie = SessionCookie.Read(null, options.Value.Cookie);
    private readonly SessionWriteOrder _writeOrder = new();

    // A custom validator may judge a session by the request; it must see what the store holds, not a remembered value.
    private readonly bool _recallAllowed = validator is AcceptAllSessionValidator;

    // The default hook does nothing, and skipping it keeps an unchanged session's JSON from being written again.
    private readonly bool _hasBeforeSave = beforeSave is not NoBeforeSessionSave;

    /// <summary><c>POST /api/session</c>: a new session, stored even when empty; the request's own session is deleted once it is.</summary>
    public async Task<SessionOutcome> CreateAsync(HttpContext http, SessionEdit? edit, VerifiedUser? login = null)
    {
        var replaced = ids.Get(http).Id;
        var session = await NewAsync(http, NewData());
        if (edit is not null) Apply(http, session, edit);
        if (login is not null) SignIn(session, login);
        var leaving = await index.BeforeDeleteAsync(http, replaced);
        if (await StoreNewAsync(http, session, replaced) is not { } joined) return SessionOutcome.NotStored;
        if (replaced is not null)
        {
            await DestroyReplacedAsync(http, replaced, session);
            await index.AfterAsync(leaving, sessionExists: false);
        }
        await index.AfterAsync(joined, sessionExists: true);
        ids.Set(http, session.Id, CookieOf(session));
        metrics.Created();
        return SessionOutcome.Created(session);
    }

    /// <summary>
    /// <c>GET /api/session</c>: one read, which with <c>Rolling</c> also refreshes the TTL (koa's rolling re-save, in the
    /// same command). 304 when the client's <c>If-None-Match</c> names the current value.
    /// </summary>
    public async Task<SessionOutcome> GetAsync(HttpContext http, SessionPrecondition? ifNoneMatch)
    {
        var session = _options.Rolling ? await ReadAndTouchAsync(http) : await ReadAsync(http);
        if (session is null) return SessionOutcome.NotFound;
        if (_options.Rolling) session.MarkTtlSet();
        if (session.HasChanges)
        {
            // A stored session without a cookie object gets the configured one, stored.
            var saved = await CommitAsync(http, session, edit: null, ifMatch: null);
            if (saved.Kind != SessionOutcomeKind.Ok) return saved;
            session = saved.Session!;
        }
        else if (_options.Rolling || session.ResignCookie)
        {
            // A rolling read extends the session's life, and so its index entry's.
            if (_options.Rolling) await index.AfterAsync(await index.BeforeWriteAsync(http, new(session.Id, session.Data)), sessionExists: true);
            ids.Set(http, session.Id, CookieOf(session));
        }
        return ifNoneMatch?.Matches(session.Hash) == true ? SessionOutcome.NotModified(session) : SessionOutcome.Ok(session);
    }

    /// <summary>
    /// <c>PUT</c> (replace the fields) and <c>PATCH</c> (merge them) of <c>/api/session</c>: stores only a change, and
    /// only over the value the edit was applied to. Saves of one session in this instance take turns
    /// (<see cref="SessionWriteOrder"/>), so they never conflict with each other, and each starts from what the last one
    /// wrote: usually one store command. A <c>PUT</c> without a session creates one under a new id; a <c>PATCH</c> answers 404.
    /// </summary>
    public async Task<SessionOutcome> SaveAsync(HttpContext http, SessionEdit edit, SessionPrecondition? ifMatch)
    {
        var incoming = ids.Get(http);
        using var turn = await TurnAsync(incoming, http);
        var session = await ReadForSaveAsync(http, incoming, edit, ifMatch);
        if (session is null) return await WithoutSessionAsync(http, edit, ifMatch);
        if (ifMatch?.Matches(session.ExpectedHash) == false) return SessionOutcome.PreconditionFailed(session.ExpectedHash);
        Apply(http, session, edit);
        return await CommitAsync(http, session, edit, ifMatch);
    }

    /// <summary>
    /// <c>POST /api/session/regenerate</c>: the session under a new id (after login, say), holding <paramref name="edit"/>
    /// if given, else a copy of the old data. Unlike koa (bug #110) the new session is always stored, and the old one is
    /// deleted only after it is, and only if it still holds what was copied; of concurrent regenerates of one session,
    /// only the one whose delete removes it wins.
    /// </summary>
    /// <remarks>
    /// With a <paramref name="login"/> (a verified ID token), the new session's protected fields hold that user and
    /// nothing of the previous one's; a client without a session then gets a new one (201), as a login needs none first.
    /// </remarks>
    public async Task<SessionOutcome> RegenerateAsync(HttpContext http, SessionEdit? edit, SessionPrecondition? ifMatch, VerifiedUser? login = null)
    {
        var incoming = ids.Get(http);
        using var turn = await TurnAsync(incoming, http);
        var retry = new ConflictRetry(time);
        while (true)
        {
            var current = await ReadForRegenerateAsync(http, incoming);
            if (current is null && login is not null && ifMatch is null) return await CreateAsync(http, edit, login);
            if (current is null) return ifMatch is null ? SessionOutcome.NotFound : SessionOutcome.PreconditionFailed(null);
            if (ifMatch?.Matches(current.ExpectedHash) == false) return SessionOutcome.PreconditionFailed(current.ExpectedHash);
            var next = await NewAsync(http, (JsonObject)current.Data.DeepClone());
            if (edit is not null) Apply(http, next, edit);
            if (login is not null) SignIn(next, login);
            // Without a login it is the same device under a new id: its index entry keeps the old one's created time.
            var leaving = await index.BeforeDeleteAsync(http, current.Id, current.Data);
            if (await StoreNewAsync(http, next, current.Id, inherits: login is null) is not { } joined) return SessionOutcome.NotStored;

            var removal = await DestroyReplacedIfAsync(http, current, next);
            if (removal == ConditionalWriteResult.Done)
            {
                await index.AfterAsync(leaving, sessionExists: false);
                await index.AfterAsync(joined, sessionExists: true);
                ids.Set(http, next.Id, CookieOf(next));
                metrics.Regenerated();
                return SessionOutcome.Ok(next);
            }
            // Not done: the new session goes, and the other request's cookies stand (answering with ours would undo them).
            await TryDestroyAsync(next.Id);
            await index.AfterAsync(joined, sessionExists: false);
            if (removal is ConditionalWriteResult.Changed changed)
            {
                // A save changed it after it was copied (another instance's: this one's take turns with this regenerate):
                // copy it again, so the new session does not lose that save.
                if (ifMatch is { IsAny: false }) return SessionOutcome.PreconditionFailed(changed.Current.Hash);
                if (!await retry.TryAgainAsync(http.RequestAborted)) return SessionOutcome.Conflict(ChangingDetail);
                continue;
            }
            // Missing: another request regenerated or removed it first.
            Log.RegenerateLost(logger);
            return ifMatch is null ? SessionOutcome.Conflict(RegeneratedDetail) : SessionOutcome.PreconditionFailed(null);
        }
    }

    /// <summary>
    /// <c>DELETE /api/session</c>: one store delete, then the clearing cookies. Needs no read; idempotent. With
    /// <c>If-Match</c>, deletes only the value it names (one atomic command) or answers 412.
    /// </summary>
    public async Task<SessionOutcome> RemoveAsync(HttpContext http, SessionPrecondition? ifMatch)
    {
        var id = ids.Get(http).Id;
        var leaving = await index.BeforeDeleteAsync(http, id);
        // Delete first: a delete that fails must leave the cookies, so the client can retry (and the session is not left alive unnoticed).
        if (ifMatch is { IsAny: false })
        {
            // No usable tag (weak, malformed, or none) names nothing: 412, never a delete that did not happen.
            if (id is null || ifMatch.Hashes!.Count == 0) return SessionOutcome.PreconditionFailed(null);
            // One conditional delete; a second only if the first found a value the client also named.
            var removal = await repository.DestroyIfAsync(id, ifMatch.Hashes.First(), http.RequestAborted);
            if (removal is ConditionalWriteResult.Changed other && ifMatch.Hashes.Contains(other.Current.Hash))
                removal = await repository.DestroyIfAsync(id, other.Current.Hash, http.RequestAborted);
            var failed = removal == ConditionalWriteResult.Done ? null : SessionOutcome.PreconditionFailed((removal as ConditionalWriteResult.Changed)?.Current.Hash);
            if (failed is not null) return failed;
            await index.AfterAsync(leaving, sessionExists: false);
        }
        else if (id is not null)
        {
            var existed = await repository.DestroyAsync(id, http.RequestAborted);
            await index.AfterAsync(leaving, sessionExists: false);
            if (!existed && ifMatch is not null) return SessionOutcome.PreconditionFailed(null);
        }
        else if (ifMatch is not null)
        {
            return SessionOutcome.PreconditionFailed(null);
        }
        ids.Reset(http, _defaultCookie);
        metrics.Removed();
        return SessionOutcome.Removed;
    }

    /// <summary>The request's session, read from the store (<see cref="LoadAsync"/>).</summary>
    private Task<Session?> ReadAsync(HttpContext http) => LoadAsync(http, ids.Get(http), repository.ReadAsync);

    /// <summary>The request's session, read and given a fresh TTL in the same command (a rolling read).</summary>
    private Task<Session?> ReadAndTouchAsync(HttpContext http) => LoadAsync(http, ids.Get(http), repository.ReadAndTouchAsync);

    /// <summary>
    /// The request's session for a regenerate. One that finds no session leaves the cookies alone: a concurrent
    /// regenerate that won may just have set new ones, which clearing would undo.
    /// </summary>
    private Task<Session?> ReadForRegenerateAsync(HttpContext http, IncomingSessionId incoming) =>
        LoadAsync(http, incoming, repository.ReadAsync, resetStale: false);

    /// <summary>
    /// The request's session as a save starts from it: the repository's best guess of what the store holds
    /// (<see cref="SessionRepository.ReadForSaveAsync"/>), which the save's write checks. A custom validator judges a
    /// session by what the store holds, so with one the session is always read.
    /// </summary>
    private Task<Session?> ReadForSaveAsync(HttpContext http, IncomingSessionId incoming, SessionEdit edit, SessionPrecondition? ifMatch) =>
        LoadAsync(http, incoming, _recallAllowed
            ? (id, ct) => repository.ReadForSaveAsync(id, edit.Kind == SessionEditKind.Replace, ifMatch is { IsAny: false } ? ifMatch.Matches : null, ct)
            : repository.ReadAsync);

    /// <summary>The turn of the request's session among this instance's saves of it; none for a request without a session.</summary>
    private async ValueTask<SessionWriteOrder.Turn> TurnAsync(IncomingSessionId incoming, HttpContext http) =>
        incoming.Id is { } id
            ? await _writeOrder.EnterAsync(id, TimeSpan.FromMilliseconds(_options.ReconnectTimeout), http.RequestAborted)
            : default;

    /// <summary>
    /// koa's getSession: the request's session, or null when it has no usable sid, or its session is missing,
    /// unreadable or not <see cref="ISessionValidator">valid</see>; the clearing cookies then go to a client that sent a sid.
    /// </summary>
    /// <param name="http">The request.</param>
    /// <param name="incoming">The request's sid, as the cookies carry it.</param>
    /// <param name="read">How the repository reads it.</param>
    /// <param name="resetStale">Send the clearing cookies to a client whose sid cannot be used (every operation but regenerate).</param>
    private async Task<Session?> LoadAsync(
        HttpContext http, IncomingSessionId incoming, Func<string, CancellationToken, Task<StoredSession?>> read, bool resetStale = true)
    {
        if (incoming.Id is null)
        {
            if (incoming.Stale && resetStale) ids.Reset(http, _defaultCookie);
            return null;
        }

        StoredSession? stored;
        try
        {
            stored = await read(incoming.Id, http.RequestAborted);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            errors.OnStoreError(error, SessionStoreOperation.Get, http);
            // The handler chose to go on without the session; it may well exist, so the client keeps its cookies.
            return null;
        }

        if (stored is null || !validator.IsValid(http, stored.Data))
        {
            if (resetStale) ids.Reset(http, _defaultCookie);
            return null;
        }
        return Session.Loaded(incoming.Id, stored, _options.Cookie, incoming.SignedWithOldKey);
    }

    /// <summary>
    /// koa's refreshSession for a stored session: writes it when it changed, and sends the cookie pair.
    /// </summary>
    /// <remarks>
    /// Unlike koa, a write lands only on the value it was computed from (<see cref="Session.Basis"/>): the store compares
    /// hashes and writes nothing when they differ, answering with what it holds. The edit is then applied again to that
    /// value and the write tried again, within the <see cref="ConflictRetry"/> budget; with a specific <c>If-Match</c> the
    /// answer is 412 instead. koa's last-writer-wins would lose the other write. An unchanged session is written only
    /// when it changed compared with a value the store confirms (<see cref="SessionRepository.ConfirmAsync"/>).
    /// </remarks>
    private async Task<SessionOutcome> CommitAsync(HttpContext http, Session session, SessionEdit? edit, SessionPrecondition? ifMatch)
    {
        var retry = new ConflictRetry(time);
        while (true)
        {
            var changes = session.HasChanges;
            var (result, joined) = changes
                ? await ReplaceAsync(http, session)
                : (await repository.ConfirmAsync(session.Id, session.Basis!, http.RequestAborted), default);
            if (result is null) return SessionOutcome.NotStored;
            if (result == ConditionalWriteResult.Done)
            {
                if (changes)
                {
                    await index.AfterAsync(joined, sessionExists: true);
                    session.MarkStored();
                    metrics.Saved();
                }
                else if (edit is not null)
                {
                    metrics.Unchanged();
                }
                if (changes || session.ResignCookie) ids.Set(http, session.Id, CookieOf(session));
                return SessionOutcome.Ok(session);
            }
            if (result is ConditionalWriteResult.Changed changed)
            {
                // Another writer got in first (or this instance's memory was stale), and nothing was written: start again
                // from what it left.
                if (ifMatch is { IsAny: false }) return SessionOutcome.PreconditionFailed(changed.Current.Hash);
                if (!await retry.TryAgainAsync(http.RequestAborted))
                {
                    Log.SaveConflict(logger, retry.Attempts);
                    return SessionOutcome.Conflict(ChangingDetail);
                }
                session = Session.Loaded(session.Id, changed.Current, _options.Cookie, session.ResignCookie);
                if (edit is not null) Apply(http, session, edit);
                Log.SaveRedone(logger);
                metrics.Redone();
                continue;
            }
            // Gone, or never there: its sid is dead, and the index entry a write attempt refreshed would hold up a
            // sign-out (young, and gone).
            if (changes) await index.AfterAsync(joined, sessionExists: false);
            if (result == ConditionalWriteResult.NotFound && edit is not null)
            {
                // Only this instance's memory said it existed: the save goes on as one that found no session.
                ids.Reset(http, _defaultCookie);
                return await WithoutSessionAsync(http, edit, ifMatch);
            }
            return ifMatch is null ? SessionOutcome.Conflict(RemovedDetail) : SessionOutcome.PreconditionFailed(null);
        }
    }

    /// <summary>
    /// A save without a usable session: with <c>If-Match</c> 412, a <c>PATCH</c> 404; a <c>PUT</c> makes a new session
    /// under a new id, stored unless empty (as koa does).
    /// </summary>
    private async Task<SessionOutcome> WithoutSessionAsync(HttpContext http, SessionEdit edit, SessionPrecondition? ifMatch)
    {
        if (ifMatch is not null) return SessionOutcome.PreconditionFailed(null);
        if (edit.Kind == SessionEditKind.Merge) return SessionOutcome.NotFound;
        var session = await NewAsync(http, NewData());
        Apply(http, session, edit);
        if (!_options.AllowEmpty && JsonNode.DeepEquals(session.Data, NewData())) return SessionOutcome.Ok(session);
        if (await StoreNewAsync(http, session) is not { } joined) return SessionOutcome.NotStored;
        await index.AfterAsync(joined, sessionExists: true);
        ids.Set(http, session.Id, CookieOf(session));
        metrics.Created();
        return SessionOutcome.Created(session);
    }

    /// <summary>Applies a request's edit: its fields replace or merge into the session's, and its cookie overrides are checked and applied.</summary>
    private void Apply(HttpContext http, Session session, SessionEdit edit)
    {
        var identity = protectedFields.Take(session.Data);
        if (edit.Kind == SessionEditKind.Merge) session.MergeFields(edit.Fields);
        else session.ReplaceFields(edit.Fields);
        // Before the cookie overrides: a refused edit throws, and nothing of it is stored.
        protectedFields.Check(session.Data, identity, edit);
        if (edit.CookieOverrides is not null)
        {
            var secure = RequestSecurity.IsSecure(http.Request, _options.TrustForwardedProto);
            CookieOverrides.Apply(session.Cookie, edit.CookieOverrides, secure, time.GetUtcNow());
        }
    }

    /// <summary>A verified login: the protected fields hold the token's user, and nothing of whoever held them before.</summary>
    private void SignIn(Session session, VerifiedUser login)
    {
        protectedFields.Clear(session.Data);
        foreach (var (pointer, value) in login.Fields) ProtectedFields.Write(session.Data, pointer, value?.DeepClone());
        session.MarkChanged();
    }

    /// <summary>koa's generateSession: a new id.</summary>
    private async Task<Session> NewAsync(HttpContext http, JsonObject data) => Session.New(await generator.GenerateAsync(http), data);

    /// <summary>A new session's data: the configured cookie options and no fields.</summary>
    private JsonObject NewData() => new() { [SessionCookie.PropertyName] = SessionCookie.NewJson(_options.Cookie) };

    /// <summary>
    /// Stores a new session under its id, or under a fresh one should the id be taken; the user index's ticket for it, or
    /// null when the error handler went on. <paramref name="replaces"/> is the session it replaces, which
    /// <paramref name="inherits"/> continues on the same device (the user index's <see cref="IndexedWrite"/>).
    /// </summary>
    private async Task<UserIndexTicket?> StoreNewAsync(HttpContext http, Session session, string? replaces = null, bool inherits = false)
    {
        BeforeSave(http, session);
        for (var attempt = 1; ; attempt++)
        {
            bool created;
            UserIndexTicket joined;
            try
            {
                // The index first: a session is never alive under a user without being in that user's index.
                joined = await index.BeforeWriteAsync(http, new(session.Id, session.Data) { Replaces = replaces, Inherits = inherits });
                created = await repository.CreateAsync(session.Id, session.ToStored(), CookieOf(session), http.RequestAborted);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                errors.OnStoreError(error, SessionStoreOperation.Set, http);
                return null;
            }
            if (created)
            {
                session.MarkStored();
                return joined;
            }
            // 192 random bits make a collision practically impossible, but a custom generator may be weaker. That is a bug
            // in the generator, not a store failure, so it is not the error handler's to judge.
            if (attempt == MaxIdCollisions) throw new InvalidOperationException("The session id generator keeps returning ids that exist.");
            session.MoveTo(await generator.GenerateAsync(http));
        }
    }

    /// <summary>
    /// Overwrites a stored session if it still holds what the session expects, with the user index's ticket for the
    /// write; null when the store failed and the error handler chose to go on.
    /// </summary>
    private async Task<(ConditionalWriteResult? Outcome, UserIndexTicket Joined)> ReplaceAsync(HttpContext http, Session session)
    {
        BeforeSave(http, session);
        try
        {
            var joined = await index.BeforeWriteAsync(http, new(session.Id, session.Data) { StoredJson = session.LoadedJson });
            return (await repository.ReplaceAsync(session.Id, session.ToStored(), CookieOf(session), session.Basis!, http.RequestAborted), joined);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            errors.OnStoreError(error, SessionStoreOperation.Set, http);
            return (null, default);
        }
    }

    /// <summary>
    /// Deletes the session a new one replaces (<c>POST</c>), once the new one is stored. Should the delete fail, the new
    /// session is taken back out, so the request changes nothing and the client keeps its session.
    /// </summary>
    private async Task DestroyReplacedAsync(HttpContext http, string replacedId, Session replacement)
    {
        try
        {
            await repository.DestroyAsync(replacedId, http.RequestAborted);
        }
        catch
        {
            await TryDestroyAsync(replacement.Id);
            throw;
        }
    }

    /// <summary>As <see cref="DestroyReplacedAsync"/>, but only if the replaced session still holds what was loaded.</summary>
    private async Task<ConditionalWriteResult> DestroyReplacedIfAsync(HttpContext http, Session replaced, Session replacement)
    {
        try
        {
            return await repository.DestroyIfAsync(replaced.Id, replaced.ExpectedHash!, http.RequestAborted);
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

    /// <summary>Just before a write: stamps the creation time when absolute timeouts are on, then koa's beforeSave hook.</summary>
    private void BeforeSave(HttpContext http, Session session)
    {
        if (_options.AbsoluteTimeout is not null && session.Cookie[SessionCookie.CreatedProperty] is null)
        {
            // A new session, or one Koa made: its absolute deadline counts from its first write here.
            session.Cookie[SessionCookie.CreatedProperty] = SessionCookie.FormatDate(time.GetUtcNow());
            session.MarkChanged();
        }
        if (!_hasBeforeSave) return;
        beforeSave.BeforeSave(http, session.Data);
        session.MarkChanged();
    }

    private SessionCookie CookieOf(Session session) => session.CookieAttributes(_options.Cookie);
}

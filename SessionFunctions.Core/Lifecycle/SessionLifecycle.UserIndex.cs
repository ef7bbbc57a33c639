using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SessionFunctions.Cookies;
using SessionFunctions.Diagnostics;
using SessionFunctions.Storage;

namespace SessionFunctions.Lifecycle;

/// <summary>
/// The user index (<c>Session:UserIdPath</c>): which sessions a user has, so that they can be listed and signed out.
/// Without the option every method here returns at once and the store sees no extra command.
/// </summary>
/// <remarks>
/// The index key (<c>prefix + "user:" + id</c>) is in another hash slot than the sessions, so no index update is atomic
/// with a session write. Each is ordered to be safe without it: a session joins its user's index before it is written
/// (so a live session of a user is always in that user's index), leaves it after it is deleted or has left the user,
/// and a member whose session is gone, or is no longer this user's, is pruned when the index is listed; only once its
/// entry is older than a write can take (<see cref="PruneGrace"/>), and only if no save has re-indexed it since.
/// </remarks>
internal sealed partial class SessionLifecycle
{
    /// <summary>The longest request header or User-Agent kept as a session's client label.</summary>
    public const int MaxLabelLength = 100;

    /// <summary>The request header that names the client at login; the User-Agent otherwise.</summary>
    public const string LabelHeader = "Session-Client-Label";

    private const string HandleContext = "session-handle:";

    // The listings a sign-out makes while they bring news, and the deletes of one member that keeps changing.
    private const int MaxAttempts = 3;

    private Keygrip? _handles;

    private bool IndexOn => _options.UserIdPath is not null;

    // A save indexes the session, then writes it within one store wait (ReconnectTimeout); an entry younger than this may
    // belong to a write still under way, so a listing that does not find its session leaves it alone.
    private TimeSpan PruneGrace => TimeSpan.FromMilliseconds(_options.ReconnectTimeout) + TimeSpan.FromSeconds(2);

    /// <summary><c>GET /api/session/all</c>: the current user's live sessions, the current one first, then by last save.</summary>
    public async Task<SessionOutcome> ListUserSessionsAsync(HttpContext http)
    {
        var (current, user, failed) = await CurrentUserAsync(http);
        if (failed is not null) return failed;
        var members = await MembersAsync(http, current!, user!);
        var sessions = members.Select(m => new UserSessionView(Handle(m.Id), m.Id == current!.Id, m.Entry))
            .OrderByDescending(s => s.Current).ThenByDescending(s => s.Entry.Seen).ToList();
        return SessionOutcome.List(sessions);
    }

    /// <summary>
    /// <c>DELETE /api/session/all</c> (sign out everywhere, this session included) and <c>DELETE /api/session/others</c>.
    /// </summary>
    /// <remarks>
    /// A listing is only a snapshot: a device that regenerates its session after it carries on under a sid the listing
    /// did not have. A regenerate indexes its new sid before it stores it, and stores it before it deletes the old one
    /// (a regenerate that finds the old one deleted first fails, and deletes its new one). So listings repeat while one
    /// brings news: a session to sign out, a listed session seen gone for the first time (its regenerate may have
    /// indexed a successor since), or a listed session that is gone but whose entry is young enough to belong to a
    /// write still under way (it may exist, and be regenerated, by the next listing). The first listing without news
    /// ends it; one more, after <see cref="MaxAttempts"/> with news, answers 409 and this session stands, so the client
    /// can retry. Everywhere deletes this session last, once a listing was quiet; if it finds it gone (a copy of its
    /// cookie regenerated it), its successor is indexed by then, and the listings go on.
    /// </remarks>
    public async Task<SessionOutcome> SignOutUserAsync(HttpContext http, bool includingCurrent)
    {
        var (current, user, failed) = await CurrentUserAsync(http);
        if (failed is not null) return failed;
        var handled = new HashSet<string>(StringComparer.Ordinal) { current!.Id };
        var missing = new HashSet<string>(StringComparer.Ordinal);
        var currentDone = false;
        for (var listing = 1; ; listing++)
        {
            var found = await ListAsync(http, current, user!, checkCurrent: true);
            var fresh = found.Members.Where(m => handled.Add(m.Id)).ToList();
            var freshlyMissing = found.Missing.Count(missing.Add);
            if (fresh.Count == 0 && freshlyMissing == 0 && found.MissingYoung == 0)
            {
                if (!includingCurrent || currentDone) break;
                currentDone = true;
                // Deleted by this request: done (a regenerate of it now fails). Gone already: list again for its successor.
                if (await repository.DestroyAsync(current.Id, http.RequestAborted))
                {
                    await TryUnindexAsync(user, current.Id);
                    break;
                }
                continue;
            }
            // Another request regenerated or removed this session meanwhile: a new member may be its successor, which
            // "others" must not sign out. The client retries with whatever cookie it holds now. (Best effort: a
            // successor that is stored before this read and whose regenerate deletes this session after it is not told apart.)
            if (found.CurrentGone && !includingCurrent) return SessionOutcome.Conflict(SignOutChangedDetail);
            if (listing > MaxAttempts) return SessionOutcome.Conflict(SignOutKeptChangingDetail);
            var results = await Task.WhenAll(fresh.Select(m => SignOutAsync(user!, m, http.RequestAborted)));
            if (results.Contains(false)) return SessionOutcome.Conflict(SignOutKeptChangingDetail);
        }
        return includingCurrent ? SignedOutHere(http) : SessionOutcome.SignedOut;
    }

    /// <summary><c>DELETE /api/session/all/{handle}</c>: one of the current user's sessions; this one clears the cookies too.</summary>
    public async Task<SessionOutcome> SignOutHandleAsync(HttpContext http, string handle)
    {
        var (current, user, failed) = await CurrentUserAsync(http);
        if (failed is not null) return failed;
        if (HandleMatches(current!.Id, handle)) return await RemoveCurrentAsync(http, current, user!);
        var members = await MembersAsync(http, current, user!);
        var member = members.FirstOrDefault(m => m.Id != current.Id && HandleMatches(m.Id, handle));
        if (member is null) return SessionOutcome.HandleNotFound;
        return await SignOutAsync(user!, member, http.RequestAborted) ? SessionOutcome.SignedOut : SessionOutcome.Conflict(SignOutKeptChangingDetail);
    }

    /// <summary>The request's session and its user; or the outcome when there is none (404), or no user or no index (404).</summary>
    private async Task<(Session? Session, string? User, SessionOutcome? Failed)> CurrentUserAsync(HttpContext http)
    {
        if (!IndexOn) return (null, null, SessionOutcome.NoUser("The user index is off (Session:UserIdPath is not set)."));
        var session = await ReadAsync(http);
        if (session is null) return (null, null, SessionOutcome.NotFound);
        return session.StoredUserId is { } user
            ? (session, user, null)
            : (null, null, SessionOutcome.NoUser($"The session has no user id at {_options.UserIdPath}."));
    }

    /// <summary>
    /// The user's live sessions, each checked against the store (it exists and is still this user's); the current one is
    /// indexed now if it is not yet (Koa logged it in). Members that do not check out are pruned once past the grace.
    /// </summary>
    private async Task<List<IndexMember>> MembersAsync(HttpContext http, Session current, string user) =>
        (await ListAsync(http, current, user, checkCurrent: false)).Members;

    /// <summary>
    /// As <see cref="MembersAsync"/>, and what a sign-out needs besides: the listed sids whose session was not found
    /// (deleted, expired, or indexed by a write not yet done), how many of those have an entry younger than the prune
    /// grace, and, with <paramref name="checkCurrent"/>, whether the current session is still stored (read alongside the
    /// others; when gone, it is neither listed nor indexed again).
    /// </summary>
    private async Task<IndexListing> ListAsync(HttpContext http, Session current, string user, bool checkCurrent)
    {
        var cancellationToken = http.RequestAborted;
        var entries = await repository.IndexMembersAsync(user, cancellationToken);
        var pruneAtMost = time.GetUtcNow().ToUnixTimeMilliseconds() - (long)PruneGrace.TotalMilliseconds;
        var missing = new System.Collections.Concurrent.ConcurrentBag<string>();
        var missingYoung = 0;
        var checks = entries.Where(e => e.Key != current.Id).Select(async e =>
        {
            var entry = UserIndexEntry.Parse(e.Value);
            var stored = await repository.ReadAsync(e.Key, cancellationToken);
            if (stored is null) missing.Add(e.Key);
            if (stored is null && entry is not null && entry.Seen > pruneAtMost) Interlocked.Increment(ref missingYoung);
            if (entry is not null && stored is not null && UserIdOf(stored.Data) == user) return new IndexMember(e.Key, entry, stored);
            if (entry is null || entry.Seen <= pruneAtMost)
                await repository.UnindexIfSeenAtMostAsync(user, e.Key, entry?.Seen ?? long.MaxValue, cancellationToken);
            return null;
        }).ToList();
        var currentCheck = checkCurrent ? repository.ReadAsync(current.Id, cancellationToken) : null;
        var members = (await Task.WhenAll(checks)).OfType<IndexMember>().ToList();
        if (currentCheck is not null && await currentCheck is null) return new IndexListing(members, [.. missing], missingYoung, CurrentGone: true);
        var currentEntry = UserIndexEntry.Parse(entries.GetValueOrDefault(current.Id)) ?? await JoinAsync(http, current);
        members.Add(new IndexMember(current.Id, currentEntry!, current.ToStored()));
        return new IndexListing(members, [.. missing], missingYoung, CurrentGone: false);
    }

    /// <summary>Deletes a member, only while it is still this user's, then takes it out of the index; false if it kept changing.</summary>
    private async Task<bool> SignOutAsync(string user, IndexMember member, CancellationToken cancellationToken)
    {
        var stored = member.Stored;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var removal = await repository.DestroyIfAsync(member.Id, stored.Hash, cancellationToken);
            if (removal is ConditionalWriteResult.Changed changed && UserIdOf(changed.Current.Data) == user)
            {
                stored = changed.Current;
                continue;
            }
            if (removal is ConditionalWriteResult.Changed)
            {
                // Another user's now (a login on that device): only this index loses it, unless a save re-indexed it here.
                await TryUnindexAsync(user, member.Id, member.Entry.Seen);
            }
            else
            {
                // Deleted, or gone already: a sid is never used again, so nothing can re-index it.
                await TryUnindexAsync(user, member.Id);
            }
            return true;
        }
        return false;
    }

    /// <summary>Deletes the request's own session and sends the clearing cookies, as <c>DELETE /api/session</c> does.</summary>
    private async Task<SessionOutcome> RemoveCurrentAsync(HttpContext http, Session current, string user)
    {
        await repository.DestroyAsync(current.Id, http.RequestAborted);
        await TryUnindexAsync(user, current.Id);
        return SignedOutHere(http);
    }

    /// <summary>The end of a sign-out that included the request's own (deleted) session: the clearing cookies.</summary>
    private SessionOutcome SignedOutHere(HttpContext http)
    {
        ids.Reset(http, _defaultCookie);
        metrics.Removed();
        return SessionOutcome.Removed;
    }

    /// <summary>The session's user id at <c>Session:UserIdPath</c>: a non-empty string, or a number's JSON text as stored; else null.</summary>
    private string? UserIdOf(JsonObject data)
    {
        if (_options.UserIdPath is not { } path) return null;
        JsonNode? node = data;
        foreach (var token in path[1..].Split('/'))
        {
            var name = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject obj => obj.TryGetPropertyValue(name, out var child) ? child : null,
                JsonArray array when int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count
                    && (name == "0" || name[0] != '0') => array[i],
                _ => null,
            };
            if (node is null) return null;
        }
        return node is JsonValue value ? value.GetValueKind() switch
        {
            JsonValueKind.String when value.GetValue<string>() is { Length: > 0 } text => text,
            // As the store will hold it (1.0 is 1): a session indexed at login must be found under the same user once read back.
            JsonValueKind.Number => SessionJson.NumberText(value.ToJsonString()),
            _ => null,
        } : null;
    }

    /// <summary>Records which index a session read from the store is in.</summary>
    private Session Tracked(Session session)
    {
        if (IndexOn) session.StoredUserId = UserIdOf(session.Data);
        return session;
    }

    /// <summary>
    /// Before a write: puts the session in its user's index (or refreshes its entry: last seen, and the index key's TTL).
    /// The created time is <c>cookie.created</c> when kept, else now; the label is this request's, kept from the first join.
    /// </summary>
    private async Task<UserIndexEntry?> JoinAsync(HttpContext http, Session session)
    {
        var now = time.GetUtcNow();
        session.WriteStarted = now.ToUnixTimeMilliseconds();
        if (!IndexOn || UserIdOf(session.Data) is not { } user) return null;
        var cookie = CookieOf(session);
        var entry = new UserIndexEntry((cookie.Created ?? now).ToUnixTimeMilliseconds(), session.WriteStarted, Label(http.Request));
        await repository.IndexAsync(user, session.Id, entry, cookie, http.RequestAborted);
        return entry;
    }

    /// <summary>After a write: a session whose user changed (or logged out) leaves the old user's index, unless a later save re-indexed it there.</summary>
    private async Task LeftUserAsync(Session session)
    {
        if (!IndexOn) return;
        var user = UserIdOf(session.Data);
        if (session.StoredUserId is { } old && old != user) await TryUnindexAsync(old, session.Id, session.WriteStarted);
        session.StoredUserId = user;
    }

    /// <summary>The user of a session about to be deleted, from this instance's memory or one read; null with the index off.</summary>
    private async Task<string?> UserOfAsync(HttpContext http, string sessionId)
    {
        if (!IndexOn) return null;
        var stored = await repository.ReadForSaveAsync(sessionId, replacesFields: false, expected: null, http.RequestAborted);
        return stored is null ? null : UserIdOf(stored.Data);
    }

    /// <summary>Best effort, after the session left the user: a member left behind is pruned when the index is listed.</summary>
    private async Task TryUnindexAsync(string? user, string sessionId, long? seenAtMost = null)
    {
        if (user is null) return;
        try
        {
            if (seenAtMost is { } atMost) await repository.UnindexIfSeenAtMostAsync(user, sessionId, atMost, CancellationToken.None);
            else await repository.UnindexAsync(user, sessionId, CancellationToken.None);
        }
        catch (Exception error) when (error is SessionStoreUnavailableException or SessionStoreErrorException)
        {
            Log.UnindexLeft(logger, error.Message);
        }
    }

    /// <summary>A session's handle: base64url of the HMAC-SHA1 of the sid with the first signing key; never the sid, not reversible.</summary>
    private string Handle(string sessionId) => (_handles ??= new Keygrip(_options.Keys)).Sign(HandleContext + sessionId);

    private bool HandleMatches(string sessionId, string handle) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(Handle(sessionId)), Encoding.UTF8.GetBytes(handle));

    /// <summary>The client label: the <see cref="LabelHeader"/> header, else the User-Agent; control characters dropped, at most <see cref="MaxLabelLength"/> characters.</summary>
    private static string Label(HttpRequest request)
    {
        var text = request.Headers[LabelHeader].ToString();
        if (string.IsNullOrWhiteSpace(text)) text = request.Headers.UserAgent.ToString();
        var label = new StringBuilder(Math.Min(text.Length, MaxLabelLength));
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsControl(rune)) continue;
            if (label.Length + rune.Utf16SequenceLength > MaxLabelLength) break;
            label.Append(rune.ToString());
        }
        return label.ToString().Trim();
    }

    private sealed record IndexMember(string Id, UserIndexEntry Entry, StoredSession Stored);

    private sealed record IndexListing(List<IndexMember> Members, List<string> Missing, int MissingYoung, bool CurrentGone);
}

/// <summary>One session in a user's list: its handle, whether it is the request's own, and its index entry.</summary>
internal sealed record UserSessionView(string Handle, bool Current, UserIndexEntry Entry)
{
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["handle"] = Handle,
            ["current"] = Current,
            ["created"] = SessionCookie.FormatDate(DateTimeOffset.FromUnixTimeMilliseconds(Entry.Created)),
            ["lastSeen"] = SessionCookie.FormatDate(DateTimeOffset.FromUnixTimeMilliseconds(Entry.Seen)),
        };
        json["label"] = Entry.Label.Length > 0 ? Entry.Label : null;
        return json;
    }
}

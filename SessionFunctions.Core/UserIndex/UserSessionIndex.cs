using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Diagnostics;
using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>
/// The user index (<c>Session:UserIdPath</c>): which sessions each user has, so that they can be listed ("where you're
/// signed in") and signed out (one device, the others, or everywhere). One store hash per user
/// (<see cref="UserId.IndexKey"/>), field = sid, value = a <see cref="UserIndexEntry"/>. The lifecycle calls its three
/// hooks around every store write and delete (<see cref="IUserSessionIndex"/>); everything else the index does is here.
/// </summary>
/// <remarks>
/// <para>
/// The index key is in another hash slot than the sessions (Redis Cluster), so no index update is atomic with a session
/// write. Four rules make every interleaving safe:
/// </para>
/// <list type="number">
/// <item><b>Add before store.</b> A write puts the session in its user's index before it writes it
/// (<see cref="BeforeWriteAsync"/>, again for each attempt of a compare-and-set), so a live session of a user is always
/// in that user's index; a failed or conflicting write leaves at worst a member too many.</item>
/// <item><b>Remove after delete.</b> A session leaves an index only once its key is deleted (a sid is never used again,
/// so nothing can index it again), or once a write gave it another user; that removal is conditional on the entry not
/// having been seen since the write began, so a concurrent save that moved it back keeps it. A session over the bound
/// goes the same way: deleted first (only while it still holds the user), then its member.</item>
/// <item><b>Prune at listing.</b> A listing reads each member's session and lists only those that exist and still hold
/// the user. A member that does not check out is removed, conditionally again, once its entry is older than
/// <see cref="PruneGrace"/> (the longest a write can follow its index add, plus the clocks' skew); a younger one may
/// belong to a write still under way, and is only not listed.</item>
/// <item><b>List again.</b> A listing is a snapshot: a device that regenerates during a sign-out carries on under a sid
/// it did not have. A regenerate indexes its new sid (keeping the old entry's created time) before it stores it, and
/// stores it before it deletes the old one (one that finds the old one deleted first fails, and deletes its new one). So
/// a sign-out lists again while a listing brings news of a target (<see cref="SignOutTargets"/>): one to sign out, one
/// gone for the first time (its regenerate may have indexed a successor), one gone whose entry is younger than the grace
/// (a successor not yet stored, say: when that is all, it waits <see cref="UnsettledWait"/> first), or targets the
/// listing could not reach. The first listing without news ends it.
/// A login after the sign-out began is no target, and so no news: logins from elsewhere cannot hold it up.</item>
/// </list>
/// <para>
/// Bounds, each a constant for one job: a user's index keeps at most <c>Session:MaxSessionsPerUser</c> sessions (a
/// login past it signs out the least recently seen, at most <see cref="MaxEvictionsPerJoin"/> per login); a listing reads
/// at most that many plus <see cref="ListingSlack"/> members; a sign-out lists at most <see cref="MaxSignOutListings"/>
/// times and tries to delete each session at most <see cref="MaxMemberDeleteAttempts"/> times, else answers 409 for the
/// client to retry; the prune grace is <c>Session:ReconnectTimeout</c> + <see cref="ClockSkewAllowance"/>.
/// </para>
/// </remarks>
internal sealed class UserSessionIndex : IUserSessionIndex
{
    /// <summary>How many times a sign-out lists the user's sessions at most: if the last listing still brings news, it answers 409.</summary>
    public const int MaxSignOutListings = 4;

    /// <summary>How many times a sign-out tries to delete one session that keeps changing, while it still holds the user.</summary>
    public const int MaxMemberDeleteAttempts = 3;

    /// <summary>
    /// How many members a listing reads beyond <c>Session:MaxSessionsPerUser</c>: an index is over its bound while a
    /// login that went past it signs out the least recently seen, and a sign-out must reach those sessions too.
    /// </summary>
    public const int ListingSlack = 8;

    /// <summary>
    /// How many sessions over the bound one login signs out at most: one as a rule; more when logins raced, or the index
    /// grew before it had a bound, and then the next logins sign out the rest.
    /// </summary>
    public const int MaxEvictionsPerJoin = 8;

    /// <summary>
    /// How far apart the app instances' clocks may be: an entry's times are stamped by the instance that wrote it, and
    /// compared with another's clock (the prune grace, and a sign-out's start).
    /// </summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a sign-out waits before it lists again when a listing's only news is a target whose session is missing
    /// while its entry is young: a write still under way (a successor indexed and not yet stored, a delete whose member
    /// is not yet removed), which a listing at once would find the same. Doubled at each listing: at most 175 ms in all.
    /// </summary>
    public static readonly TimeSpan UnsettledWait = TimeSpan.FromMilliseconds(25);

    private const string SignOutChangedDetail =
        "This session was regenerated or removed by a concurrent request while the others were signed out; " +
        "some may be signed out already. Retry with the current cookies.";

    // The OpenAPI document quotes this text as its example (Http/OpenApi/SessionApiDocumentation.cs); since a login
    // after the sign-out began is no longer news, only a regenerate or a session deleted elsewhere brings this now.
    private const string SignOutKeptChangingDetail =
        "The user's sessions kept changing (new logins or regenerates) during the sign-out; some may be signed out already. Retry.";

    private readonly UserIndexCommands _commands;
    private readonly SessionRepository _repository;
    private readonly TtlPolicy _ttl;
    private readonly SessionApiOptions _options;
    private readonly string _path;
    private readonly SessionHandles _handles;
    private readonly TimeProvider _time;
    private readonly ILogger<UserSessionIndex> _logger;

    public UserSessionIndex(
        ISessionUserIndexStore store, SessionRepository repository, TtlPolicy ttl, SessionApiOptions options, TimeProvider time,
        ILogger<UserSessionIndex> logger)
    {
        _commands = new UserIndexCommands(store, repository, options.Prefix);
        _repository = repository;
        _ttl = ttl;
        _options = options;
        _path = options.UserIdPath ?? throw new ArgumentException("The user index needs Session:UserIdPath.", nameof(options));
        _handles = new SessionHandles(options.Keys);
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// How young an entry of a member that does not check out must be to be left alone: a save indexes a session and then
    /// writes it within one store wait (ReconnectTimeout), stamped by a clock that may be ahead by the allowance.
    /// </summary>
    private TimeSpan PruneGrace => TimeSpan.FromMilliseconds(_options.ReconnectTimeout) + ClockSkewAllowance;

    private int ListingLimit => _options.MaxSessionsPerUser + ListingSlack;

    public async ValueTask<UserIndexTicket> BeforeWriteAsync(HttpContext http, IndexedWrite write)
    {
        var now = _time.GetUtcNow();
        var user = UserId.Of(write.Data, _path);
        // The index the stored value is in, which the session leaves if this write gives it another user.
        var left = write.StoredJson is { } stored && SessionJson.ParseObject(stored) is { } data ? UserId.Of(data, _path) : null;
        var ticket = new UserIndexTicket { SessionId = write.SessionId, Joined = user, Left = left, IndexedAt = now.ToUnixTimeMilliseconds() };
        if (user is null) return ticket;
        var (_, overBound) = await JoinAsync(http, user, write, now);
        return ticket with { OverBound = overBound };
    }

    public async ValueTask<UserIndexTicket> BeforeDeleteAsync(HttpContext http, string? sessionId, JsonObject? data = null)
    {
        if (sessionId is null) return default;
        data ??= (await _repository.ReadForSaveAsync(sessionId, replacesFields: false, expected: null, http.RequestAborted))?.Data;
        return data is not null && UserId.Of(data, _path) is { } user
            ? new UserIndexTicket { SessionId = sessionId, Left = user, IndexedAt = long.MaxValue }
            : default;
    }

    public async ValueTask AfterAsync(UserIndexTicket ticket, bool sessionExists)
    {
        if (ticket.SessionId is not { } sessionId) return;
        if (sessionExists)
        {
            if (ticket.Left is { } left && left != ticket.Joined) await TryUnindexAsync(left, sessionId, ticket.IndexedAt);
            if (ticket.Joined is { } user && ticket.OverBound is { Count: > 0 } overBound) await SignOutOverBoundAsync(user, overBound);
            return;
        }
        // Gone: out of the index this write put it in (unless a later save put it back), and of the one it was in.
        if (ticket.Joined is { } joined) await TryUnindexAsync(joined, sessionId, ticket.IndexedAt);
        if (ticket.Left is { } gone && gone != ticket.Joined) await TryUnindexAsync(gone, sessionId, ticket.IndexedAt);
    }

    public async Task<UserSessionsOutcome> ListAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent)
    {
        var (current, user, failed) = await CurrentUserAsync(loadCurrent);
        if (failed is not null) return failed;
        var listing = await ListAsync(http, current!, user!, targets: null, checkCurrent: false);
        return UserSessionsOutcome.List([.. listing.Members
            .Select(m => new UserSessionView(_handles.Of(m.Id), m.Id == current!.Id, m.Entry))
            .OrderByDescending(s => s.Current).ThenByDescending(s => s.Entry.Seen)]);
    }

    /// <remarks>
    /// Lists while a listing brings news of a target (the "list again" rule above), signing out what each one found;
    /// <see cref="MaxSignOutListings"/> listings that all bring news answer 409, and this session stands, so the client
    /// can retry. Everywhere deletes this session last, once a listing was quiet; if it finds it gone (a copy of its
    /// cookie regenerated it), its successor is indexed by then, and the listings go on.
    /// </remarks>
    public async Task<UserSessionsOutcome> SignOutAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent, bool includingCurrent)
    {
        var (current, user, failed) = await CurrentUserAsync(loadCurrent);
        if (failed is not null) return failed;
        var targets = new SignOutTargets(_time.GetUtcNow());
        var handled = new HashSet<string>(StringComparer.Ordinal) { current!.Id };
        var missing = new HashSet<string>(StringComparer.Ordinal);
        var currentDone = false;
        for (var listing = 1; ; listing++)
        {
            var found = await ListAsync(http, current, user!, targets, checkCurrent: true);
            var fresh = found.Members.Where(m => handled.Add(m.Id)).ToList();
            var freshlyMissing = found.Missing.Count(missing.Add);
            if (fresh.Count == 0 && freshlyMissing == 0 && found.MissingYoung == 0 && !found.MayHaveMore)
            {
                if (!includingCurrent || currentDone) break;
                currentDone = true;
                // Deleted by this request: done (a regenerate of it now fails). Gone already: list again for its successor.
                if (await _repository.DestroyAsync(current.Id, http.RequestAborted))
                {
                    await TryUnindexAsync(user!, current.Id, long.MaxValue);
                    break;
                }
                continue;
            }
            // Another request regenerated or removed this session meanwhile: a new member may be its successor, which
            // "others" must not sign out. The client retries with whatever cookie it holds now. (Best effort: a
            // successor that is stored before this read and whose regenerate deletes this session after it is not told apart.)
            if (found.CurrentGone && !includingCurrent) return UserSessionsOutcome.Conflict(SignOutChangedDetail);
            if (listing >= MaxSignOutListings) return UserSessionsOutcome.Conflict(SignOutKeptChangingDetail);
            if (fresh.Count == 0 && freshlyMissing == 0 && !found.MayHaveMore)
                await Task.Delay(UnsettledWait * (1 << (listing - 1)), _time, http.RequestAborted);
            var results = await Task.WhenAll(fresh.Select(m => SignOutMemberAsync(user!, m.Id, m.Stored, m.Entry.Seen, http.RequestAborted)));
            if (results.Contains(false)) return UserSessionsOutcome.Conflict(SignOutKeptChangingDetail);
        }
        return includingCurrent ? UserSessionsOutcome.SignedOutHere : UserSessionsOutcome.SignedOut;
    }

    /// <remarks>
    /// One listing, no second: nothing links a regenerated session to the one it replaced here, so a device that
    /// regenerates at the same moment carries on under its new handle, is listed again, and "sign out the others" ends it.
    /// </remarks>
    public async Task<UserSessionsOutcome> SignOutHandleAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent, string handle)
    {
        var (current, user, failed) = await CurrentUserAsync(loadCurrent);
        if (failed is not null) return failed;
        if (_handles.Matches(current!.Id, handle))
        {
            await _repository.DestroyAsync(current.Id, http.RequestAborted);
            await TryUnindexAsync(user!, current.Id, long.MaxValue);
            return UserSessionsOutcome.SignedOutHere;
        }
        var listing = await ListAsync(http, current, user!, targets: null, checkCurrent: false);
        var member = listing.Members.FirstOrDefault(m => m.Id != current.Id && _handles.Matches(m.Id, handle));
        if (member is null) return UserSessionsOutcome.HandleNotFound;
        return await SignOutMemberAsync(user!, member.Id, member.Stored, member.Entry.Seen, http.RequestAborted)
            ? UserSessionsOutcome.SignedOut
            : UserSessionsOutcome.Conflict(SignOutKeptChangingDetail);
    }

    /// <summary>The request's session and its user; or the outcome when it has none (404), or no user (404).</summary>
    private async Task<(CurrentSession? Current, UserId? User, UserSessionsOutcome? Failed)> CurrentUserAsync(Func<Task<CurrentSession?>> loadCurrent)
    {
        var current = await loadCurrent();
        if (current is null) return (null, null, UserSessionsOutcome.NoSession);
        return UserId.Of(current.Stored.Data, _path) is { } user
            ? (current, user, null)
            : (null, null, UserSessionsOutcome.NoUser($"The session has no user id at {_path}."));
    }

    /// <summary>
    /// Puts the session in its user's index (or refreshes its entry: last seen, and the index key's TTL), for at least the
    /// session's TTL. The created time is <c>cookie.created</c> when kept (<c>Session:AbsoluteTimeout</c>), else now; the
    /// label is this request's. The store keeps both of an entry the session already has, and with
    /// <see cref="IndexedWrite.Inherits"/> takes both from the entry of the session it replaces.
    /// </summary>
    private async Task<(UserIndexEntry Entry, IReadOnlyList<KeyValuePair<string, string>> OverBound)> JoinAsync(
        HttpContext http, UserId user, IndexedWrite write, DateTimeOffset now)
    {
        var cookie = SessionCookie.Read(write.Data[SessionCookie.PropertyName] as JsonObject, _options.Cookie);
        // A cookie.created before 1970 (written by hand) counts from 1970: an entry's times are unsigned.
        var created = Math.Max(0, (cookie.Created ?? now).ToUnixTimeMilliseconds());
        var entry = new UserIndexEntry(created, now.ToUnixTimeMilliseconds(), ClientLabel.Of(http.Request));
        var join = new UserIndexJoin(write.SessionId, entry, _ttl.For(cookie, now))
        {
            Replaces = write.Replaces,
            Inherits = write.Inherits,
            MaxMembers = _options.MaxSessionsPerUser,
            MaxOverBound = MaxEvictionsPerJoin,
        };
        return (entry, await _commands.IndexAsync(user, join, http.RequestAborted));
    }

    /// <summary>
    /// Up to <see cref="ListingLimit"/> members of the user's index, each checked against the store (it exists and still
    /// holds the user), and the request's session; members that do not check out are pruned once past the grace. With
    /// <paramref name="targets"/> (a sign-out), only its targets are read, and the listing says what a sign-out needs
    /// besides: the listed sids whose session was not found, how many of those have an entry younger than the grace,
    /// whether targets may lie beyond what was read, and with <paramref name="checkCurrent"/>, whether the request's
    /// session is still stored (read alongside the others; when gone, it is neither listed nor indexed again).
    /// </summary>
    private async Task<IndexListing> ListAsync(HttpContext http, CurrentSession current, UserId user, SignOutTargets? targets, bool checkCurrent)
    {
        var cancellationToken = http.RequestAborted;
        var read = await _commands.MembersAsync(user, ListingLimit, cancellationToken);
        var pruneAtMost = (_time.GetUtcNow() - PruneGrace).ToUnixTimeMilliseconds();
        var entries = read.Members.Select(m => (Id: m.Key, Entry: UserIndexEntry.Parse(m.Value))).ToList();
        var listed = entries.Where(m => m.Id != current.Id && targets?.Includes(m.Entry) != false).ToList();
        // The store reads the created first: past the last one read, targets remain only if that one was a target.
        var mayHaveMore = targets is not null && read.Truncated && targets.Includes(entries.MaxBy(m => m.Entry?.Created ?? 0).Entry);
        var missing = new ConcurrentBag<string>();
        var missingYoung = 0;
        var checks = listed.Select(async m =>
        {
            var stored = await _repository.ReadAsync(m.Id, cancellationToken);
            if (m.Entry is not null && stored is not null && UserId.Of(stored.Data, _path) == user) return new IndexMember(m.Id, m.Entry, stored);
            var young = m.Entry is not null && m.Entry.Seen > pruneAtMost;
            if (stored is null) missing.Add(m.Id);
            if (stored is null && young) Interlocked.Increment(ref missingYoung);
            if (!young) await _commands.UnindexAsync(user, m.Id, m.Entry?.Seen ?? long.MaxValue, cancellationToken);
            return null;
        }).ToList();
        var currentCheck = checkCurrent ? _repository.ReadAsync(current.Id, cancellationToken) : null;
        var members = (await Task.WhenAll(checks)).OfType<IndexMember>().ToList();
        var currentGone = currentCheck is not null && await currentCheck is null;
        var currentEntry = entries.FirstOrDefault(m => m.Id == current.Id).Entry;
        if (!currentGone)
        {
            // Not indexed (Koa logged it in), or not read (an index that grew past the limit before it had a bound).
            currentEntry ??= await JoinCurrentAsync(http, current, user);
            members.Add(new IndexMember(current.Id, currentEntry, current.Stored));
        }
        targets?.Listed(listed.Select(m => m.Entry).Append(currentEntry));
        return new IndexListing(members, [.. missing], missingYoung, currentGone, mayHaveMore);
    }

    /// <summary>The request's session joins its user's index; the sessions that puts over the bound are signed out.</summary>
    private async Task<UserIndexEntry> JoinCurrentAsync(HttpContext http, CurrentSession current, UserId user)
    {
        var (entry, overBound) = await JoinAsync(http, user, new IndexedWrite(current.Id, current.Stored.Data), _time.GetUtcNow());
        if (overBound.Count > 0) await SignOutOverBoundAsync(user, overBound);
        return entry;
    }

    /// <summary>
    /// Signs out the sessions a login found over <c>Session:MaxSessionsPerUser</c>: each is checked as a listing checks
    /// it, a session that still holds the user is deleted and then leaves the index, and a member that does not check
    /// out is pruned once past the grace. Best effort, after the login is stored: what is left goes at the next login.
    /// </summary>
    private async Task SignOutOverBoundAsync(UserId user, IReadOnlyList<KeyValuePair<string, string>> overBound)
    {
        var pruneAtMost = (_time.GetUtcNow() - PruneGrace).ToUnixTimeMilliseconds();
        await Task.WhenAll(overBound.Select(async member =>
        {
            try
            {
                var entry = UserIndexEntry.Parse(member.Value);
                var stored = await _repository.ReadAsync(member.Key, CancellationToken.None);
                if (stored is not null && UserId.Of(stored.Data, _path) == user)
                {
                    if (await SignOutMemberAsync(user, member.Key, stored, entry?.Seen ?? long.MaxValue, CancellationToken.None))
                        Log.OverBoundSignedOut(_logger, _options.MaxSessionsPerUser);
                }
                else if (entry is null || entry.Seen <= pruneAtMost)
                {
                    await _commands.UnindexAsync(user, member.Key, entry?.Seen ?? long.MaxValue, CancellationToken.None);
                }
            }
            catch (Exception error) when (error is SessionStoreUnavailableException or SessionStoreErrorException or SessionUnreadableException)
            {
                Log.OverBoundLeft(_logger, error.Message);
            }
        }));
    }

    /// <summary>
    /// Deletes a member, only while it still holds this user, then takes it out of the index; false when it kept
    /// changing (<see cref="MaxMemberDeleteAttempts"/>).
    /// </summary>
    private async Task<bool> SignOutMemberAsync(UserId user, string sessionId, StoredSession stored, long seen, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= MaxMemberDeleteAttempts; attempt++)
        {
            var removal = await _repository.DestroyIfAsync(sessionId, stored.Hash, cancellationToken);
            if (removal is ConditionalWriteResult.Changed changed && UserId.Of(changed.Current.Data, _path) == user)
            {
                stored = changed.Current;
                continue;
            }
            // Another user's now (a login on that device): only this index loses it, unless a save re-indexed it here.
            // Deleted, or gone already: a sid is never used again, so nothing can index it again.
            await TryUnindexAsync(user, sessionId, removal is ConditionalWriteResult.Changed ? seen : long.MaxValue);
            return true;
        }
        return false;
    }

    /// <summary>Best effort, once the session left the user: a member left behind is pruned when the index is listed.</summary>
    private async Task TryUnindexAsync(UserId user, string sessionId, long seenAtMost)
    {
        try
        {
            await _commands.UnindexAsync(user, sessionId, seenAtMost, CancellationToken.None);
        }
        catch (Exception error) when (error is SessionStoreUnavailableException or SessionStoreErrorException)
        {
            Log.UnindexLeft(_logger, error.Message);
        }
    }

    private sealed record IndexMember(string Id, UserIndexEntry Entry, StoredSession Stored);

    private sealed record IndexListing(List<IndexMember> Members, List<string> Missing, int MissingYoung, bool CurrentGone, bool MayHaveMore);
}

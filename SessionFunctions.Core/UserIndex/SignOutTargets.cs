using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>
/// Which members of a user's index one sign-out signs out: whatever existed when it began, and whatever continues one of
/// those; not a fresh login that joined after it began, so a stream of logins from elsewhere cannot hold it up.
/// </summary>
/// <remarks>
/// Every member of the first listing is a target. After it, a member is one when its entry was created at least
/// <see cref="UserSessionIndex.ClockSkewAllowance"/> before the sign-out began (it existed then, by any instance's
/// clock; such a member is new to a listing only when an earlier listing could not reach it), or when its created time
/// is one a target had: a regenerate without a new login keeps the created time of the session it replaces
/// (<see cref="IndexedWrite.Inherits"/>), so the new sid of a device that regenerated during the sign-out is still
/// signed out. A session that logged in (created) after the sign-out began may stay. An entry that cannot be read is a
/// target: it is pruned, as every listing prunes one.
/// </remarks>
internal sealed class SignOutTargets(DateTimeOffset began)
{
    private readonly long _existedBy = (began - UserSessionIndex.ClockSkewAllowance).ToUnixTimeMilliseconds();
    private readonly HashSet<long> _created = [];
    private bool _listed;

    /// <summary>Whether a listed member with this entry is to be signed out.</summary>
    public bool Includes(UserIndexEntry? entry) => entry is null || !_listed || entry.Created <= _existedBy || _created.Contains(entry.Created);

    /// <summary>Records a listing: the created times of its targets (and of the request's own session) mark their successors.</summary>
    public void Listed(IEnumerable<UserIndexEntry?> targets)
    {
        foreach (var entry in targets)
        {
            if (entry is not null) _created.Add(entry.Created);
        }
        _listed = true;
    }
}

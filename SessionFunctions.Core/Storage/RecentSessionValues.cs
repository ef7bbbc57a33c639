using SessionFunctions.Configuration;
using SessionFunctions.Cookies;

namespace SessionFunctions.Storage;

/// <summary>What this instance remembers of a stored session: enough for a save, or a rolling read, to skip a round trip.</summary>
/// <param name="Cookie">Its cookie options, which give a rolling read its TTL before the value arrives.</param>
/// <param name="Hash">The <see cref="SessionHash"/> of the stored text: what a save's compare-and-set expects.</param>
/// <param name="Json">The stored text, when it is at most <see cref="RecentSessionValues.MaxValueLength"/> characters.</param>
/// <param name="CookieJson">
/// For a longer one, its <c>cookie</c> object alone (its first property, at most <see cref="RecentSessionValues.MaxCookieLength"/>
/// characters): a <c>PUT</c> replaces every other field, so that and the hash are all it needs.
/// </param>
internal sealed record RememberedSession(SessionCookie Cookie, string Hash, string? Json, string? CookieJson);

/// <summary>
/// What this instance last read or wrote for a bounded number of sessions. A save takes it as its guess of what the
/// store holds, and so skips the read before the write; the store's compare-and-set says whether the guess was right
/// (see <see cref="SessionRepository.ReplaceAsync"/>). It is never served as a session by itself.
/// </summary>
/// <remarks>
/// A fixed array of slots; each key may sit in one of two, chosen by its hash. A key that is not there takes an empty
/// one of its two, else the one used least recently, so two busy sessions that share a slot sit side by side instead of
/// evicting each other on every save. There is no lock, no eviction list and no shared counter: "used" is a millisecond
/// stamp on the entry, written only when it changes, so a busy entry costs one write per millisecond, not one per request
/// (two entries stamped in the same millisecond are a tie, and the first slot goes). Memory stays below
/// <see cref="SessionApiOptions.RecentSessions"/> × (<see cref="MaxValueLength"/> + <see cref="MaxCookieLength"/>) characters.
/// </remarks>
internal sealed class RecentSessionValues
{
    /// <summary>Longer values are remembered by their hash and cookie object only.</summary>
    public const int MaxValueLength = 4096;

    /// <summary>A longer cookie object is not remembered: such a session's saves read first.</summary>
    public const int MaxCookieLength = 1024;

    private readonly Entry?[] _slots;
    private readonly Func<long> _clock;

    /// <param name="capacity">The number of slots.</param>
    /// <param name="clock">The stamp of a use: milliseconds (<see cref="Environment.TickCount64"/>) unless a test counts.</param>
    public RecentSessionValues(int capacity, Func<long>? clock = null)
    {
        _slots = new Entry?[Math.Max(0, capacity)];
        _clock = clock ?? (() => Environment.TickCount64);
    }

    /// <summary>What is remembered of <paramref name="key"/>, if anything.</summary>
    public RememberedSession? Recall(string key)
    {
        if (_slots.Length == 0) return null;
        var (first, second) = Slots(key);
        var entry = Find(first, key) ?? Find(second, key);
        if (entry is null) return null;
        Touch(entry);
        return entry.Session;
    }

    /// <summary>Remembers <paramref name="session"/> as what the store holds under <paramref name="key"/>.</summary>
    public void Remember(string key, RememberedSession session)
    {
        if (_slots.Length == 0) return;
        var (first, second) = Slots(key);
        var existing = Find(first, key) ?? Find(second, key);
        if (existing is not null && existing.Session.Hash == session.Hash)
        {
            // Reads remember what is usually already there: leave the slot alone then, but count the use.
            Touch(existing);
            return;
        }
        var entry = new Entry(key, session) { LastUsed = _clock() };
        var inFirst = Volatile.Read(ref _slots[first]);
        var inSecond = Volatile.Read(ref _slots[second]);
        var slot = inFirst?.Key == key ? first
            : inSecond?.Key == key ? second
            : inFirst is null ? first
            : inSecond is null ? second
            : inSecond.LastUsed < inFirst.LastUsed ? second
            : first;
        Volatile.Write(ref _slots[slot], entry);
    }

    public void Forget(string key)
    {
        if (_slots.Length == 0) return;
        var (first, second) = Slots(key);
        Clear(first, key);
        Clear(second, key);
    }

    /// <summary>The two slots <paramref name="key"/> may sit in (the same one, now and then).</summary>
    internal (int First, int Second) Slots(string key)
    {
        var hash = (uint)key.GetHashCode();
        var length = (uint)_slots.Length;
        return ((int)(hash % length), (int)(((hash >> 16) | (hash << 16)) % length));
    }

    private void Touch(Entry entry)
    {
        var now = _clock();
        if (entry.LastUsed != now) entry.LastUsed = now;
    }

    private Entry? Find(int slot, string key) =>
        Volatile.Read(ref _slots[slot]) is { } entry && entry.Key == key ? entry : null;

    private void Clear(int slot, string key)
    {
        var entry = Volatile.Read(ref _slots[slot]);
        if (entry is not null && entry.Key == key) Interlocked.CompareExchange(ref _slots[slot], null, entry);
    }

    private sealed class Entry(string key, RememberedSession session)
    {
        public string Key { get; } = key;

        public RememberedSession Session { get; } = session;

        /// <summary>The clock's stamp when this entry was last remembered or recalled.</summary>
        public long LastUsed { get; set; }
    }
}

using SessionFunctions.Cookies;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>The bounded memory of stored values behind one-command saves.</summary>
public sealed class RecentSessionValuesTests
{
    private static readonly string Key = SessionKeys.Of("a");
    private static readonly SessionCookie Cookie = new(true, "/", null, 86_400_000, null, null, null, null, false);

    private static RememberedSession Value(string json) => new(Cookie, SessionHash.Of(json), json, null);

    [Fact]
    public void Recalls_what_was_remembered_until_forgotten()
    {
        var values = new RecentSessionValues(16);
        Assert.Null(values.Recall(Key));
        values.Remember(Key, Value("1"));
        values.Remember(Key, Value("2"));
        Assert.Equal(Value("2"), values.Recall(Key));
        values.Forget(Key);
        Assert.Null(values.Recall(Key));
    }

    [Fact]
    public void Holds_at_most_its_capacity_and_never_answers_for_another_key()
    {
        var values = new RecentSessionValues(8);
        var keys = Enumerable.Range(0, 1000).Select(i => SessionKeys.Of("s" + i)).ToList();
        foreach (var key in keys) values.Remember(key, Value("value of " + key));
        var recalled = keys.Where(key => values.Recall(key) is not null).ToList();
        Assert.InRange(recalled.Count, 1, 8);
        Assert.All(recalled, key => Assert.Equal(Value("value of " + key), values.Recall(key)));
    }

    [Fact]
    public void With_no_capacity_nothing_is_kept_and_nothing_fails()
    {
        var off = new RecentSessionValues(0);
        off.Remember(Key, Value("1"));
        Assert.Null(off.Recall(Key));
        // Every remove, and every read that finds nothing, forgets; with no slots to pick from, that must not throw.
        Assert.Null(Record.Exception(() => off.Forget(Key)));
    }

    [Fact]
    public void A_new_key_takes_the_place_of_the_one_used_least_recently_not_of_a_busy_one()
    {
        // Two slots, and keys that may sit in either: A and B fill them; A stays busy, B does not. Before, C took its first
        // slot whatever sat there, so two busy sessions that shared it evicted each other on every save.
        var clock = 0L;
        var values = new RecentSessionValues(2, () => ++clock);
        var candidates = Enumerable.Range(0, 200).Select(i => SessionKeys.Of("k" + i)).Where(k => values.Slots(k) is var s && s.First != s.Second).ToList();
        var a = candidates[0];
        values.Remember(a, Value("a"));
        var slotOfA = values.Slots(a).First;
        var b = candidates.First(k => k != a);
        values.Remember(b, Value("b"));
        Assert.NotNull(values.Recall(a));
        Assert.NotNull(values.Recall(b));
        Assert.NotNull(values.Recall(a)); // A is the busy one
        // C's first slot is A's: only the least-recently-used rule keeps A.
        var c = candidates.First(k => k != a && k != b && values.Slots(k).First == slotOfA);
        values.Remember(c, Value("c"));
        Assert.Equal(Value("a"), values.Recall(a));
        Assert.Null(values.Recall(b));
        Assert.Equal(Value("c"), values.Recall(c));
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using SessionFunctions.Redis;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// What every <see cref="ISessionUserIndexStore"/> promises, run against each real one: the memory store's C#, and the
/// Redis scripts on one server and on the three-master cluster. The two implementations must agree to the letter, since
/// a sign-out is only as safe as the index it reads: a re-index keeps the created time and label, a regenerate inherits
/// them, an entry that cannot be read is read the same way, the compare-seen delete, the TTL, the over-the-bound reply
/// and the bounded listing.
/// </summary>
public abstract class UserIndexStoreContractTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    // Far enough ahead that no write here meets it (docs/write-deadlines.md); RedisSessionStoreTests has those that do.
    private static DateTimeOffset Deadline => DateTimeOffset.UtcNow.AddMinutes(1);

    private protected abstract ISessionUserIndexStore Store { get; }

    protected abstract Task<TimeSpan?> TimeToLiveAsync(string key);

    /// <summary>A user index of its own: the servers outlive a test.</summary>
    private static string NewIndexKey() => SessionKeys.IndexOfUser("contract-" + Guid.NewGuid().ToString("N"));

    private Task<IReadOnlyList<KeyValuePair<string, string>>> JoinAsync(
        string key, string sid, long created, long seen, string label = "", Func<UserIndexJoin, UserIndexJoin>? with = null)
    {
        var join = new UserIndexJoin(sid, new UserIndexEntry(created, seen, label), Minute);
        return Store.IndexAsync(key, with is null ? join : with(join), Deadline, default);
    }

    private async Task<Dictionary<string, string>> MembersAsync(string key) =>
        new((await Store.MembersAsync(key, int.MaxValue, default)).Members, StringComparer.Ordinal);

    [Fact]
    public async Task A_re_index_keeps_the_created_time_and_label_and_takes_the_new_seen_time()
    {
        var key = NewIndexKey();
        await JoinAsync(key, "laptop", 1_700_000_000_000, 1_700_000_000_000, "Laptop – Firefox");
        await JoinAsync(key, "laptop", 1_700_000_999_999, 1_700_000_500_000, "Another label");

        Assert.Equal(new Dictionary<string, string> { ["laptop"] = "1700000000000 1700000500000 Laptop – Firefox" }, await MembersAsync(key));
        Assert.Equal(new UserIndexEntry(1_700_000_000_000, 1_700_000_500_000, "Laptop – Firefox"), UserIndexEntry.Parse((await MembersAsync(key))["laptop"]));
    }

    [Fact]
    public async Task A_new_member_inherits_the_created_time_and_label_of_the_one_it_replaces_only_when_asked_and_only_from_its_own_index()
    {
        var key = NewIndexKey();
        await JoinAsync(key, "old", 100, 100, "Phone");
        await JoinAsync(key, "own", 50, 50, "Own");

        // A regenerate without a login: the same device under a new sid.
        await JoinAsync(key, "regenerated", 500, 600, "ignored", j => j with { Replaces = "old", Inherits = true });
        // A login that replaces the session: a new one.
        await JoinAsync(key, "logged-in", 700, 800, "Tablet", j => j with { Replaces = "old" });
        // A member's own entry wins over the one it replaces.
        await JoinAsync(key, "own", 900, 900, "ignored", j => j with { Replaces = "old", Inherits = true });
        // The replaced member is looked for in this index only (a regenerate that changed the user starts afresh).
        var other = NewIndexKey();
        await JoinAsync(other, "elsewhere", 1000, 1000, "Elsewhere", j => j with { Replaces = "old", Inherits = true });

        var members = await MembersAsync(key);
        Assert.Equal("100 600 Phone", members["regenerated"]);
        Assert.Equal("700 800 Tablet", members["logged-in"]);
        Assert.Equal("50 900 Own", members["own"]);
        Assert.Equal("100 100 Phone", members["old"]);
        Assert.Equal("1000 1000 Elsewhere", (await MembersAsync(other))["elsewhere"]);
    }

    [Fact]
    public async Task An_entry_that_cannot_be_read_is_read_as_none_everywhere()
    {
        var key = NewIndexKey();
        // Neither time may be negative or longer than 15 digits; these are written as they are, since there is nothing to keep.
        await JoinAsync(key, "negative", -1, 5, "bad");
        await JoinAsync(key, "long", 1_234_567_890_123_456, 5, "bad");
        await JoinAsync(key, "good", 100, 200, "Good");
        var members = await MembersAsync(key);
        Assert.Equal("-1 5 bad", members["negative"]);
        Assert.Null(UserIndexEntry.Parse(members["negative"]));
        Assert.Null(UserIndexEntry.Parse(members["long"]));

        // A re-index over it takes the new entry whole; an inherit from it takes nothing.
        await JoinAsync(key, "negative", 300, 400, "Now good");
        await JoinAsync(key, "heir", 500, 600, "Heir", j => j with { Replaces = "long", Inherits = true });
        members = await MembersAsync(key);
        Assert.Equal("300 400 Now good", members["negative"]);
        Assert.Equal("500 600 Heir", members["heir"]);

        // Its seen time is unknown: a compare-seen delete takes it out whatever the bound.
        await Store.UnindexIfSeenAtMostAsync(key, "long", 0, Deadline, default);
        Assert.DoesNotContain("long", (await MembersAsync(key)).Keys);
    }

    [Fact]
    public async Task A_compare_seen_delete_takes_out_only_an_entry_seen_no_later_and_a_plain_one_any()
    {
        var key = NewIndexKey();
        await JoinAsync(key, "a", 100, 200);
        await JoinAsync(key, "b", 100, 200);

        await Store.UnindexIfSeenAtMostAsync(key, "a", 199, Deadline, default);
        Assert.Contains("a", (await MembersAsync(key)).Keys);
        await Store.UnindexIfSeenAtMostAsync(key, "a", 200, Deadline, default);
        Assert.DoesNotContain("a", (await MembersAsync(key)).Keys);
        await Store.UnindexIfSeenAtMostAsync(key, "absent", long.MaxValue, Deadline, default);

        await Store.UnindexAsync(key, "b", Deadline, default);
        await Store.UnindexAsync(key, "absent", Deadline, default);
        Assert.Empty(await MembersAsync(key));
    }

    [Fact]
    public async Task The_key_lives_at_least_as_long_as_its_longest_lived_session()
    {
        var key = NewIndexKey();
        await JoinAsync(key, "a", 1, 1, with: j => j with { Ttl = TimeSpan.FromSeconds(90) });
        Assert.InRange((await TimeToLiveAsync(key))!.Value.TotalSeconds, 85, 90);
        await JoinAsync(key, "b", 1, 1, with: j => j with { Ttl = TimeSpan.FromSeconds(30) });
        Assert.InRange((await TimeToLiveAsync(key))!.Value.TotalSeconds, 85, 90);
        await JoinAsync(key, "c", 1, 1, with: j => j with { Ttl = TimeSpan.FromSeconds(600) });
        Assert.InRange((await TimeToLiveAsync(key))!.Value.TotalSeconds, 590, 600);
    }

    [Fact]
    public async Task A_new_member_past_the_bound_gets_the_least_recently_seen_others_back_and_nothing_is_removed()
    {
        var key = NewIndexKey();
        UserIndexJoin Bounded(UserIndexJoin join) => join with { MaxMembers = 3, MaxOverBound = 8 };
        Assert.Empty(await JoinAsync(key, "a", 1, 100, "A", Bounded));
        Assert.Empty(await JoinAsync(key, "b", 1, 300, "B", Bounded));
        Assert.Empty(await JoinAsync(key, "c", 1, 200, "C", Bounded));

        Assert.Equal([new("a", "1 100 A")], await JoinAsync(key, "d", 1, 400, "D", Bounded));
        Assert.Equal(4, (await MembersAsync(key)).Count);
        // A member that is there already adds none, and is never told of the bound.
        Assert.Empty(await JoinAsync(key, "b", 1, 500, "B", Bounded));
        // Two over, least recently seen first; the joining member is never named, however early its clock says it was seen.
        Assert.Equal([new("a", "1 100 A"), new("c", "1 200 C")], await JoinAsync(key, "e", 1, 50, "E", Bounded));
        // At most MaxOverBound.
        Assert.Equal([new("e", "1 50 E")], await JoinAsync(key, "f", 1, 600, "F", j => Bounded(j) with { MaxOverBound = 1 }));
        Assert.Empty(await JoinAsync(key, "g", 1, 700, "G", j => Bounded(j) with { MaxOverBound = 0 }));
        Assert.Equal(7, (await MembersAsync(key)).Count);
    }

    [Fact]
    public async Task The_session_a_join_replaces_does_not_count_toward_the_bound_and_is_never_named()
    {
        var key = NewIndexKey();
        UserIndexJoin Bounded(UserIndexJoin join) => join with { MaxMembers = 2, MaxOverBound = 8 };
        await JoinAsync(key, "x", 1, 100, "X", Bounded);
        await JoinAsync(key, "y", 1, 200, "Y", Bounded);

        // A regenerate at the bound: y is about to be deleted.
        Assert.Empty(await JoinAsync(key, "z", 1, 300, "Z", j => Bounded(j) with { Replaces = "y", Inherits = true }));
        // y, the least recently seen but x, is named over the bound only by a join that does not replace it.
        Assert.Equal([new("x", "1 100 X")], await JoinAsync(key, "w", 1, 400, "W", j => Bounded(j) with { Replaces = "y" }));
        Assert.Equal([new("x", "1 100 X"), new("y", "1 200 Y"), new("z", "1 300 Y")],
            await JoinAsync(key, "v", 1, 500, "V", j => Bounded(j) with { Replaces = "absent" }));
    }

    [Fact]
    public async Task An_entry_that_cannot_be_read_counts_as_seen_and_created_first()
    {
        var key = NewIndexKey();
        await JoinAsync(key, "bad", -1, 5, "bad");
        await JoinAsync(key, "a", 200, 100, "A");
        Assert.Equal([new("bad", "-1 5 bad")], await JoinAsync(key, "b", 300, 300, "B", j => j with { MaxMembers = 2, MaxOverBound = 8 }));

        var read = await Store.MembersAsync(key, 1, default);
        Assert.Equal(["bad"], read.Members.Keys);
        Assert.Equal(3, read.Total);
    }

    [Fact]
    public async Task A_listing_reads_at_most_its_limit_the_created_first_and_says_how_many_there_are()
    {
        var key = NewIndexKey();
        foreach (var created in (long[])[500, 100, 300, 200, 400])
            await JoinAsync(key, "s" + created, created, 1000 - created, "L" + created);

        var all = await Store.MembersAsync(key, 10, default);
        Assert.Equal(5, all.Total);
        Assert.False(all.Truncated);
        Assert.Equal(["s100", "s200", "s300", "s400", "s500"], all.Members.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("300 700 L300", all.Members["s300"]);

        var two = await Store.MembersAsync(key, 2, default);
        Assert.Equal(5, two.Total);
        Assert.True(two.Truncated);
        Assert.Equal(new Dictionary<string, string> { ["s100"] = "100 900 L100", ["s200"] = "200 800 L200" }, two.Members);

        var none = await Store.MembersAsync(NewIndexKey(), 10, default);
        Assert.Empty(none.Members);
        Assert.Equal(0, none.Total);
    }
}

public sealed class MemoryUserIndexStoreContractTests : UserIndexStoreContractTests, IDisposable
{
    private readonly MemorySessionStore _store = new(TimeProvider.System);

    private protected override ISessionUserIndexStore Store => _store;

    protected override Task<TimeSpan?> TimeToLiveAsync(string key) => Task.FromResult(_store.TimeToLive(key));

    public void Dispose() => _store.Dispose();
}

[Collection(RedisCollection.Name)]
public sealed class RedisUserIndexStoreContractTests(RedisServer redis) : UserIndexStoreContractTests, IDisposable
{
    private readonly RedisConnection _connection = new(
        () => Task.FromResult(ConfigurationOptions.Parse(redis.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);

    private protected override ISessionUserIndexStore Store => new RedisSessionStore(_connection, TimeProvider.System);

    protected override Task<TimeSpan?> TimeToLiveAsync(string key) => redis.Database.KeyTimeToLiveAsync(key);

    public void Dispose() => _connection.Dispose();
}

[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterUserIndexStoreContractTests(RedisCluster cluster) : UserIndexStoreContractTests, IDisposable
{
    private readonly RedisConnection _connection = new(
        () => Task.FromResult(ConfigurationOptions.Parse(cluster.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);

    private protected override ISessionUserIndexStore Store => new RedisSessionStore(_connection, TimeProvider.System);

    protected override Task<TimeSpan?> TimeToLiveAsync(string key) => cluster.Database.KeyTimeToLiveAsync(key);

    public void Dispose() => _connection.Dispose();
}

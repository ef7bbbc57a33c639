using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>koa's MemoryStore, made thread-safe and expiring.</summary>
public sealed class MemorySessionStoreTests
{
    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Honours_the_ttl_and_evicts_expired_entries()
    {
        using var store = new MemorySessionStore(_time);
        Assert.True(await store.SetAsync("a", "1", TimeSpan.FromSeconds(10), StoreWriteCondition.KeyAbsent, default));
        Assert.True(await store.SetAsync("b", "2", TimeSpan.FromMinutes(10), StoreWriteCondition.KeyAbsent, default));
        Assert.Equal(TimeSpan.FromSeconds(10), store.TimeToLive("a"));

        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal("1", await store.GetAsync("a", default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await store.GetAsync("a", default));
        Assert.Equal(1, store.Count);

        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task The_periodic_sweep_frees_entries_nobody_reads_again()
    {
        using var store = new MemorySessionStore(_time);
        for (var i = 0; i < 100; i++) await store.SetAsync("k" + i, "v", TimeSpan.FromSeconds(30), StoreWriteCondition.KeyAbsent, default);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(store.TimeToLive("k1"));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task Conditions_keep_new_sessions_from_overwriting_and_saves_from_resurrecting()
    {
        using var store = new MemorySessionStore(_time);
        Assert.False(await store.SetAsync("a", "1", TimeSpan.FromSeconds(10), StoreWriteCondition.KeyPresent, default));
        Assert.True(await store.SetAsync("a", "1", TimeSpan.FromSeconds(10), StoreWriteCondition.KeyAbsent, default));
        Assert.False(await store.SetAsync("a", "2", TimeSpan.FromSeconds(10), StoreWriteCondition.KeyAbsent, default));
        Assert.True(await store.SetAsync("a", "3", TimeSpan.FromSeconds(10), StoreWriteCondition.KeyPresent, default));
        Assert.Equal("3", await store.GetAsync("a", default));
        await store.DestroyAsync("a", default);
        Assert.False(await store.SetAsync("a", "4", TimeSpan.FromSeconds(10), StoreWriteCondition.KeyPresent, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await store.SetAsync("a", "5", TimeSpan.FromSeconds(1), StoreWriteCondition.KeyAbsent, default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await store.SetAsync("a", "6", TimeSpan.FromSeconds(1), StoreWriteCondition.KeyAbsent, default));
    }

    [Fact]
    public async Task Is_safe_under_parallel_use()
    {
        using var store = new MemorySessionStore(TimeProvider.System);
        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), async (i, ct) =>
        {
            var key = "k" + (i % 50);
            await store.SetAsync(key, i.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMinutes(1), StoreWriteCondition.KeyAbsent, ct);
            await store.SetAsync(key, "x", TimeSpan.FromMinutes(1), StoreWriteCondition.KeyPresent, ct);
            await store.GetAsync(key, ct);
            if (i % 7 == 0) await store.DestroyAsync(key, ct);
        });
        Assert.InRange(store.Count, 0, 50);
    }
}

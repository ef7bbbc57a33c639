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
        Assert.True(await store.CreateAsync("a", "1", TimeSpan.FromSeconds(10), default));
        Assert.True(await store.CreateAsync("b", "2", TimeSpan.FromMinutes(10), default));
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
        for (var i = 0; i < 100; i++) await store.CreateAsync("k" + i, "v", TimeSpan.FromSeconds(30), default);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(store.TimeToLive("k1"));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task Creates_only_absent_keys_and_replaces_only_present_ones_returning_what_it_replaced()
    {
        using var store = new MemorySessionStore(_time);
        Assert.Null(await store.ReplaceAsync("a", "1", TimeSpan.FromSeconds(10), default));
        Assert.Null(await store.GetAsync("a", default));
        Assert.True(await store.CreateAsync("a", "1", TimeSpan.FromSeconds(10), default));
        Assert.False(await store.CreateAsync("a", "2", TimeSpan.FromSeconds(10), default));
        Assert.Equal("1", await store.ReplaceAsync("a", "3", TimeSpan.FromSeconds(20), default));
        Assert.Equal("3", await store.GetAsync("a", default));
        Assert.Equal(TimeSpan.FromSeconds(20), store.TimeToLive("a"));
        await store.DestroyAsync("a", default);
        Assert.Null(await store.ReplaceAsync("a", "4", TimeSpan.FromSeconds(10), default));
        Assert.True(await store.CreateAsync("a", "5", TimeSpan.FromSeconds(1), default));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(await store.ReplaceAsync("a", "6", TimeSpan.FromSeconds(1), default));
        Assert.True(await store.CreateAsync("a", "7", TimeSpan.FromSeconds(1), default));
    }

    [Fact]
    public async Task Is_safe_under_parallel_use()
    {
        using var store = new MemorySessionStore(TimeProvider.System);
        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), async (i, ct) =>
        {
            var key = "k" + (i % 50);
            await store.CreateAsync(key, i.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMinutes(1), ct);
            await store.ReplaceAsync(key, "x", TimeSpan.FromMinutes(1), ct);
            await store.GetAsync(key, ct);
            if (i % 7 == 0) await store.DestroyAsync(key, ct);
        });
        Assert.InRange(store.Count, 0, 50);
    }
}

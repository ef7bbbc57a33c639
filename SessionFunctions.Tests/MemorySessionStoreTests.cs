using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>koa's MemoryStore, made thread-safe and expiring; what every store does is in <see cref="SessionStoreContractTests"/>.</summary>
public sealed class MemorySessionStoreTests
{
    // The memory store writes before its calls return, so a write's deadline never matters to it.
    private static readonly DateTimeOffset NoDeadline = DateTimeOffset.MaxValue;

    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Honours_the_ttl_and_evicts_expired_entries()
    {
        using var store = new MemorySessionStore(_time);
        Assert.True(await store.CreateAsync("a", "1", TimeSpan.FromSeconds(10), NoDeadline, default));
        Assert.True(await store.CreateAsync("b", "2", TimeSpan.FromMinutes(10), NoDeadline, default));
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
        for (var i = 0; i < 100; i++) await store.CreateAsync("k" + i, "v", TimeSpan.FromSeconds(30), NoDeadline, default);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(store.TimeToLive("k1"));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public async Task Is_safe_under_parallel_use()
    {
        using var store = new MemorySessionStore(_time);
        // Keys k0–k24 live 30 s and k25–k49 ten minutes; g0–g49 exist only to be deleted, each by 40 racing requests.
        static TimeSpan TtlOf(int key) => key < 25 ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(10);
        for (var key = 0; key < 50; key++) await store.CreateAsync("g" + key, "doomed", TimeSpan.FromMinutes(10), NoDeadline, default);
        int created = 0, destroyed = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, 2000), async (i, ct) =>
        {
            var key = i % 50;
            if (await store.CreateAsync("k" + key, "new", TtlOf(key), NoDeadline, ct)) Interlocked.Increment(ref created);
            // Nothing deletes a k key, so every compare-and-set finds one (racing ones may find another value) and every read sees a value.
            var current = await store.GetAsync("k" + key, ct);
            Assert.NotNull(current);
            Assert.NotEqual(SessionStoreWriteStatus.Missing, (await store.ReplaceIfAsync("k" + key, SessionHash.Of(current), "v" + i, TtlOf(key), NoDeadline, ct)).Status);
            if (await store.DestroyAsync("g" + key, NoDeadline, ct)) Interlocked.Increment(ref destroyed);
        });

        // Of racing creates and deletes of one key, exactly one succeeds (SET NX, and DEL's count).
        Assert.Equal(50, created);
        Assert.Equal(50, destroyed);
        Assert.Equal(50, store.Count);

        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(25, store.Count);
        Assert.All(Enumerable.Range(0, 50), key => Assert.Equal(key >= 25, store.TimeToLive("k" + key) is not null));

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, store.Count);
    }
}

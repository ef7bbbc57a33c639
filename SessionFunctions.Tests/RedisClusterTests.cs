using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using SessionFunctions.Redis;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// The store contract on a real three-master Redis Cluster (<see cref="RedisCluster"/>), with the store connected to
/// all three masters as an OSS-clustered Azure Managed Redis would be. Every command names one key, so each one is sent
/// straight to the master that owns the key's slot.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterSessionStoreContractTests(RedisCluster cluster) : SessionStoreContractTests, IDisposable
{
    private readonly RedisConnection _connection = new(
        () => Task.FromResult(ConfigurationOptions.Parse(cluster.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);

    private KeyRecordingStore? _store;

    protected override ISessionStore Store => _store ??= new KeyRecordingStore(new RedisSessionStore(_connection, TimeProvider.System));

    protected override Task<TimeSpan?> TimeToLiveAsync(string key) => cluster.Database.KeyTimeToLiveAsync(key);

    public void Dispose() => _connection.Dispose();

    [Fact]
    public async Task The_contract_holds_for_keys_on_different_masters()
    {
        // Each contract test uses one random key; four rounds of all four use sixteen, and the chance that all of
        // them hash to one master is 3 × (1/3)^16, about one in fourteen million.
        for (var round = 0; round < 4; round++)
        {
            await Creates_only_where_no_key_is();
            await Replaces_only_the_value_it_names_and_otherwise_says_what_is_there();
            await Deletes_say_whether_the_key_existed_and_a_conditional_one_deletes_only_what_it_names();
            await A_read_that_touches_gives_a_new_ttl_and_touches_nothing_that_is_not_there();
        }

        var masters = new HashSet<int>();
        foreach (var key in _store!.Keys) masters.Add(await cluster.PortOfAsync(key));
        Assert.Equal(16, _store.Keys.Count);
        Assert.True(masters.Count > 1, $"all {_store.Keys.Count} keys hashed to one master");
    }
}

/// <summary>The same on a cluster, with the rolling read done by the script older servers get instead of <c>GETEX</c>.</summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterWithoutGetExSessionStoreContractTests(RedisCluster cluster) : SessionStoreContractTests, IDisposable
{
    private readonly RedisConnection _connection = new(
        () => Task.FromResult(ConfigurationOptions.Parse(cluster.ConnectionString)), TimeProvider.System, NullLogger<RedisConnection>.Instance);

    protected override ISessionStore Store => new RedisSessionStore(_connection, TimeProvider.System, olderThanRedis62: true);

    protected override Task<TimeSpan?> TimeToLiveAsync(string key) => cluster.Database.KeyTimeToLiveAsync(key);

    public void Dispose() => _connection.Dispose();
}

/// <summary>
/// The HTTP API through the in-process server on the three-master cluster: each operation runs the very commands it
/// runs on one Redis (<see cref="RedisCommandCountTests"/>), and no master ever answers <c>MOVED</c> or <c>ASK</c>, so
/// the client sends every command to the right master the first time. A script a master has forgotten is loaded again,
/// and one master's address is enough for the client to find the others.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterTests(RedisCluster cluster)
{
    private static readonly Dictionary<string, long> CompareAndSet = new() { ["evalsha"] = 1, ["time"] = 1, ["get"] = 1, ["set"] = 1 };

    private SessionApiFactory Api(params (string Key, string? Value)[] settings) =>
        new(SessionApiFactory.Settings([("Redis:ConnectionString", cluster.ConnectionString), .. settings]));

    private async Task<string?> StoredAsync(string sid) => await cluster.Database.StringGetAsync(SessionKeys.Of(sid));

    /// <summary>The commands <paramref name="request"/> ran on all masters, once it answered <paramref name="status"/>.</summary>
    private async Task<Dictionary<string, long>> CommandsAsync(int status, Func<Task<SessionResponse>> request)
    {
        var (response, commands) = await cluster.WithCommandCountsAsync(request);
        Assert.True(status == response.Status, $"expected {status}, got {response.Status}: {response.Body}");
        return commands;
    }

    private static Action<HttpRequestMessage> IfMatch(string etag) => request => request.Headers.TryAddWithoutValidation("If-Match", etag);

    [Fact]
    public async Task Create_read_save_patch_regenerate_and_remove_send_each_command_to_its_master_once()
    {
        using var api = Api();
        var client = api.CreateSessionClient();
        // Every write is a script: a master that has not run one yet would answer NOSCRIPT first, and its id is random.
        await cluster.LoadScriptsAsync(RedisSessionStore.Scripts);
        var before = await cluster.CommandCountsAsync();

        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["set"] = 1 }, await CommandsAsync(201, () => client.PostAsync(json: """{"count":0}""")));
        var sid = client.Jar["koa.sid"];
        Assert.Contains("\"count\":0", await StoredAsync(sid));
        Assert.Equal(new Dictionary<string, long> { ["get"] = 1 }, await CommandsAsync(200, () => client.GetAsync()));

        // The first save on a master may find the script unknown there (NOSCRIPT, then it is loaded); count the next ones.
        await client.PutAsync("""{"count":1}""");
        Assert.Equal(CompareAndSet, await CommandsAsync(200, () => client.PutAsync("""{"count":2}""")));
        var patched = await client.PatchAsync("""{"theme":"dark"}""");
        Assert.Equal(200, patched.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"count":2,"theme":"dark"}"""), Fields(patched)), patched.Body);
        var current = patched.Headers.ETag!.ToString();

        // A stale If-Match: nothing changes, and the answer names what is there.
        var stale = await client.PutAsync("""{"count":9}""", configure: IfMatch("\"0000000000000000000000000000000000000000\""));
        Assert.Equal(412, stale.Status);
        Assert.Equal(current, stale.Headers.ETag?.ToString());
        Assert.Contains("\"theme\":\"dark\"", await StoredAsync(sid));

        var regenerated = await client.RegenerateAsync();
        Assert.Equal(200, regenerated.Status);
        var newSid = client.Jar["koa.sid"];
        Assert.NotEqual(sid, newSid);
        Assert.Null(await StoredAsync(sid));
        Assert.Contains("\"theme\":\"dark\"", await StoredAsync(newSid));

        Assert.Equal(new Dictionary<string, long> { ["evalsha"] = 1, ["time"] = 1, ["del"] = 1 }, await CommandsAsync(204, () => client.DeleteAsync()));
        Assert.Null(await StoredAsync(newSid));

        // Not one command went to the wrong master or named keys in two slots, the 412 and the regenerate included.
        var after = await cluster.CommandCountsAsync();
        foreach (var error in new[] { "MOVED", "ASK", "CROSSSLOT" }) Assert.Equal(before[error], after[error]);
    }

    [Fact]
    public async Task A_rolling_read_is_one_getex_on_the_sessions_master()
    {
        using var api = Api(("Session:Rolling", "true"));
        var client = api.CreateSessionClient();
        await client.PostAsync(json: """{"count":0}""");
        var key = SessionKeys.Of(client.Jar["koa.sid"]);
        await cluster.Database.KeyExpireAsync(key, TimeSpan.FromSeconds(60));

        var (response, commands) = await cluster.WithCommandCountsAsync(() => client.GetAsync());

        Assert.Equal(200, response.Status);
        Assert.Equal(new Dictionary<string, long> { ["getex"] = 1 }, commands);
        Assert.NotNull(response.SetCookie("koa.sid"));
        // The default cookie maxAge is one day, and the read set that TTL again.
        Assert.InRange((await cluster.Database.KeyTimeToLiveAsync(key))!.Value.TotalHours, 23.9, 24);
    }

    [Fact]
    public async Task Saves_on_every_master_work_after_each_one_forgot_the_scripts()
    {
        using var api = Api(SessionApiFactory.UnderLoad);
        // Sessions until every master holds one: their ids are random, so this takes a few.
        var clients = new Dictionary<int, SessionClient>();
        for (var i = 0; i < 60 && clients.Count < RedisCluster.Masters; i++)
        {
            var client = api.CreateSessionClient();
            Assert.Equal(201, (await client.PostAsync(json: """{"n":0}""")).Status);
            Assert.Equal(200, (await client.PutAsync("""{"n":1}""")).Status);
            clients.TryAdd(await cluster.PortOfAsync(SessionKeys.Of(client.Jar["koa.sid"])), client);
        }
        Assert.Equal(RedisCluster.Masters, clients.Count);
        Assert.All(await cluster.KeysPerNodeAsync(), size => Assert.True(size.Value > 0, $"master {size.Key} holds no key"));

        await cluster.FlushScriptsAsync();
        var (saves, commands) = await cluster.WithCommandCountsAsync(() => Task.WhenAll(clients.Values.Select(c => c.PutAsync("""{"n":2}"""))));

        Assert.All(saves, save => Assert.Equal(200, save.Status));
        foreach (var client in clients.Values) Assert.Equal("""{"n":2}""", Fields(await client.GetAsync()).ToJsonString());
        // Each master answered NOSCRIPT once, and the script was run there anyway, once per save.
        Assert.Equal(RedisCluster.Masters, commands.GetValueOrDefault("NOSCRIPT"));
        Assert.Equal(RedisCluster.Masters, commands.GetValueOrDefault("set"));
    }

    [Fact]
    public async Task A_connection_string_naming_one_master_finds_the_others()
    {
        // Azure Managed Redis with OSSCluster gives one host:port (Redis:HostName); the client learns the shards from it.
        using var api = new SessionApiFactory(SessionApiFactory.Settings([("Redis:ConnectionString", $"127.0.0.1:{cluster.Ports[0]}")]));
        var masters = new HashSet<int>();
        var (_, commands) = await cluster.WithCommandCountsAsync(async () =>
        {
            for (var i = 0; i < 60 && masters.Count < RedisCluster.Masters; i++)
            {
                var client = api.CreateSessionClient();
                Assert.Equal(201, (await client.PostAsync(json: """{"n":0}""")).Status);
                Assert.Equal(200, (await client.GetAsync()).Status);
                masters.Add(await cluster.PortOfAsync(SessionKeys.Of(client.Jar["koa.sid"])));
            }
            return masters.Count;
        });

        Assert.Equal(RedisCluster.Masters, masters.Count);
        Assert.Equal(0, commands.GetValueOrDefault("MOVED") + commands.GetValueOrDefault("ASK"));
    }

    private static JsonObject Fields(SessionResponse response)
    {
        var fields = (JsonObject)response.Json.DeepClone();
        fields.Remove("cookie");
        return fields;
    }
}

/// <summary>A store that remembers every key it was asked about, to see where the contract tests' keys landed.</summary>
internal sealed class KeyRecordingStore(ISessionStore inner) : ISessionStore
{
    private readonly ConcurrentDictionary<string, bool> _keys = new(StringComparer.Ordinal);

    public ICollection<string> Keys => _keys.Keys;

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken) => inner.GetAsync(Record(key), cancellationToken);

    public Task<string?> GetAndTouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) =>
        inner.GetAndTouchAsync(Record(key), ttl, cancellationToken);

    public Task<bool> TouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken) => inner.TouchAsync(Record(key), ttl, cancellationToken);

    public Task<bool> CreateAsync(string key, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        inner.CreateAsync(Record(key), value, ttl, deadline, cancellationToken);

    public Task<SessionStoreWrite> ReplaceIfAsync(string key, string expectedHash, string value, TimeSpan ttl, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        inner.ReplaceIfAsync(Record(key), expectedHash, value, ttl, deadline, cancellationToken);

    public Task<bool> DestroyAsync(string key, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        inner.DestroyAsync(Record(key), deadline, cancellationToken);

    public Task<SessionStoreWrite> DestroyIfAsync(string key, string expectedHash, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        inner.DestroyIfAsync(Record(key), expectedHash, deadline, cancellationToken);

    private string Record(string key)
    {
        _keys.TryAdd(key, true);
        return key;
    }
}

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>The standalone server in process, configured as a test needs: settings, and optionally services.</summary>
public sealed class SessionApiFactory(IDictionary<string, string?> settings, Action<IServiceCollection>? services = null, string environment = "Testing")
    : WebApplicationFactory<Program>
{
    public static readonly string[] TestKeys = ["keys", "keykeys"];

    /// <summary>
    /// For load tests, not outage tests: the default 1 s ReconnectTimeout lets the outage tests end quickly, but on a
    /// busy CI machine one Redis command among thousands can take longer than that, and a 503 would fail a test that
    /// is about something else (it did, in a 2-core CI run of the login storm). 5 s still ends a real outage.
    /// </summary>
    public static readonly (string Key, string? Value) UnderLoad = ("Session:ReconnectTimeout", "5000");

    public static SessionApiFactory WithRedis(RedisServer redis, params (string Key, string? Value)[] settings) =>
        new(Settings([("Redis:ConnectionString", redis.ConnectionString), .. settings]));

    public static SessionApiFactory WithMemory(params (string Key, string? Value)[] settings) => new(Settings(settings));

    public static SessionApiFactory WithMemory(Action<IServiceCollection> services, params (string Key, string? Value)[] settings) =>
        new(Settings(settings), services);

    public static Dictionary<string, string?> Settings(IEnumerable<(string Key, string? Value)> settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Session:Keys:0"] = TestKeys[0],
            ["Session:Keys:1"] = TestKeys[1],
            ["Session:ReconnectTimeout"] = "1000",
        };
        foreach (var (key, value) in settings)
        {
            if (value is null) all.Remove(key);
            else all[key] = value;
        }
        return all;
    }

    public SessionClient CreateSessionClient(string baseAddress = "http://localhost", Dictionary<string, string>? jar = null) =>
        new(CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false, BaseAddress = new Uri(baseAddress) }), jar);

    /// <summary>
    /// Runs each Redis script of the service once (every write is one: a create, a save's compare-and-set, regenerate's
    /// conditional delete, a delete), so that a test counting commands afterwards sees one EVALSHA, not the NOSCRIPT and
    /// EVAL of a script's first use on a server; which test uses a script first depends on the order xunit picks.
    /// </summary>
    public async Task LoadRedisScriptsAsync()
    {
        using var client = CreateSessionClient();
        await client.PostAsync(json: """{"n":0}""");
        await client.PutAsync("""{"n":1}""");
        await client.RegenerateAsync();
        await client.DeleteAsync();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureTestServices(services);
    }
}

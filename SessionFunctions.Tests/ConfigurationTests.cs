using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>An invalid setting stops the app at startup with a message that names the setting.</summary>
public sealed class ConfigurationTests
{
    /// <summary>What resolving the options throws, as the host does at startup (ValidateOnStart).</summary>
    private static Exception StartupError(params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Session:Keys:0"] = "keys" };
        foreach (var (key, value) in settings) values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSessionApi(configuration);
        if (configuration["Redis:ConnectionString"] is { } redis)
            return Assert.ThrowsAny<Exception>(() => services.AddRedisSessionStore(redis));
        using var provider = services.BuildServiceProvider();
        return Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IOptions<SessionApiOptions>>().Value);
    }

    [Theory]
    [InlineData("Session:Key", "bad name;", "Session:Key")]
    [InlineData("Session:Ttl", "0", "Session:Ttl")]
    [InlineData("Session:Ttl", "-5", "Session:Ttl")]
    [InlineData("Session:FallbackTtl", "0", "Session:FallbackTtl")]
    [InlineData("Session:ReconnectTimeout", "0", "Session:ReconnectTimeout")]
    [InlineData("Session:MaxBodyBytes", "-1", "Session:MaxBodyBytes")]
    [InlineData("Session:RecentSessions", "-1", "Session:RecentSessions")]
    [InlineData("Session:RecentSessions", "2000000", "Session:RecentSessions")]
    [InlineData("Session:Cookie:MaxAge", "-500", "Session:Cookie:MaxAge")]
    [InlineData("Session:Cookie:MaxAge", "99999999999999", "Session:Cookie:MaxAge")]
    [InlineData("Session:Cookie:Path", "no-slash;", "Session:Cookie:Path")]
    [InlineData("Session:Cookie:Domain", "bad domain", "Session:Cookie:Domain")]
    [InlineData("Session:Cookie:SameSite", "sometimes", "Session:Cookie:SameSite")]
    [InlineData("Session:Cookie:SameSite", "none", "Session:Cookie:Secure")]
    [InlineData("Session:Keys:1", "", "Session:Keys:1")]
    [InlineData("Session:MaxSessionsPerUser", "0", "Session:MaxSessionsPerUser")]
    [InlineData("Session:MaxSessionsPerUser", "1001", "Session:MaxSessionsPerUser")]
    public void Invalid_settings_stop_the_app_naming_the_setting(string key, string value, string named)
    {
        var error = StartupError((key, value));
        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(named + ":", validation.Message);
    }

    /// <summary>
    /// Runs the built server as a deployment does, until it exits; its exit code and all it wrote. A host that fails to
    /// start under WebApplicationFactory may surface as an ObjectDisposedException instead of its own error, so a
    /// refused start is checked on a real process.
    /// </summary>
    internal static async Task<(int ExitCode, string Output)> RunServerAsync(string environment, params (string Name, string Value)[] variables)
    {
        var server = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet", [server, "--urls", $"http://127.0.0.1:{RedisServer.FreePort()}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(server),
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        foreach (var (name, value) in variables) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // It started after all: it must not outlive the test.
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output + await error);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Missing_keys_stop_the_app_outside_development(string environment)
    {
        var (exitCode, output) = await RunServerAsync(environment);
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Session:Keys: at least one signing key is required", output);
    }

    [Fact]
    public async Task In_development_missing_keys_get_a_generated_key_and_a_warning()
    {
        var logs = new CollectingLoggerProvider();
        using var api = new SessionApiFactory(
            SessionApiFactory.Settings([("Session:Keys:0", null), ("Session:Keys:1", null)]),
            services => services.AddSingleton<ILoggerProvider>(logs),
            "Development");
        var client = api.CreateSessionClient();

        Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);
        Assert.Equal(1, (await client.GetAsync()).Json["count"]!.GetValue<int>());
        // Signed, but with a key of its own: no configured key, and none another process could know.
        var sid = client.Jar["koa.sid"];
        Assert.All(SessionApiFactory.TestKeys, key => Assert.NotEqual(new Keygrip([key]).Sign("koa.sid=" + sid), client.Jar["koa.sid.sig"]));
        Assert.Single(logs.Entries, e => e.Event.Name == "DevelopmentKeyGenerated" && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task The_server_process_exits_with_the_setting_named_on_stderr()
    {
        var (exitCode, output) = await RunServerAsync("Production", ("Session__Keys__0", "k"), ("Session__Cookie__SameSite", "sideways"));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("Session:Cookie:SameSite: must be lax, strict or none", output);
    }

    /// <summary>A host with <paramref name="settings"/> and a store of the app's own that keeps no user index, as a host starts it.</summary>
    private static IHost HostWithCustomStore(params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Session:Keys:0"] = "keys" };
        foreach (var (key, value) in settings) values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new HostBuilder().ConfigureServices(services => services.AddLogging().AddSessionApi(configuration)
            .AddSingleton<ISessionStore>(new KeyRecordingStore(new MemorySessionStore(TimeProvider.System)))).Build();
    }

    [Fact]
    public async Task A_user_index_on_a_store_that_cannot_keep_one_stops_the_app_at_startup_naming_the_setting()
    {
        // It used to start, and then answer 500 to every save of a logged-in session.
        using var indexed = HostWithCustomStore(("Session:UserIdPath", "/user/id"), ("Session:DangerouslyTrustClientsWithUserId", "true"));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => indexed.StartAsync());
        Assert.StartsWith("Session:UserIdPath: the session store (KeyRecordingStore) cannot keep a user index", error.Message);

        using var plain = HostWithCustomStore();
        await plain.StartAsync();
        await plain.StopAsync();
    }

    [Theory]
    [InlineData("Session:Ttl", "soon")]
    [InlineData("Session:Rolling", "maybe")]
    public void Values_of_the_wrong_type_name_the_setting(string key, string value)
    {
        var error = StartupError((key, value));
        Assert.Contains(key, error.ToString());
    }

    [Fact]
    public void An_invalid_redis_connection_string_names_the_setting()
    {
        var error = StartupError(("Redis:ConnectionString", "127.0.0.1:6379,nonsense=1"));
        Assert.Contains("Redis:ConnectionString", error.ToString());
    }

    [Fact]
    public async Task An_empty_max_age_gives_browser_session_cookies()
    {
        using var api = SessionApiFactory.WithMemory(("Session:Cookie:MaxAge", ""));
        var response = await api.CreateSessionClient().PostAsync(json: "{}");
        Assert.Equal(201, response.Status);
        Assert.Null(response.Json["cookie"]!["maxAge"]);
        Assert.DoesNotContain("expires", response.SetCookie("koa.sid"));
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
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
    public void Invalid_settings_stop_the_app_naming_the_setting(string key, string value, string named)
    {
        var error = StartupError((key, value));
        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(named + ":", validation.Message);
    }

    [Fact]
    public void Missing_keys_stop_the_app_outside_development()
    {
        var error = StartupError(("Session:Keys:0", null));
        Assert.Contains("Session:Keys:", error.Message);
    }

    [Fact]
    public async Task The_server_process_exits_with_the_setting_named_on_stderr()
    {
        var server = typeof(Program).Assembly.Location;
        var start = new ProcessStartInfo("dotnet", [server, "--urls", $"http://127.0.0.1:{RedisServer.FreePort()}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(server),
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Session__Keys__0"] = "k";
        start.Environment["Session__Cookie__SameSite"] = "sideways";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("Session:Cookie:SameSite: must be lax, strict or none", await output + await error);
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

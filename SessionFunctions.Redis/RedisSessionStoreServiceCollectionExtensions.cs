using Azure.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SessionFunctions;
using SessionFunctions.Redis;
using SessionFunctions.Storage;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="RedisSessionStore"/> in place of the memory store.</summary>
public static class RedisSessionStoreServiceCollectionExtensions
{
    /// <summary>The configuration key of the Redis connection string.</summary>
    public const string ConnectionStringSetting = "Redis:ConnectionString";

    /// <summary>Uses Redis at <paramref name="connectionString"/> (StackExchange.Redis syntax, e.g. <c>127.0.0.1:6379</c>).</summary>
    /// <exception cref="InvalidOperationException">The connection string cannot be parsed; the message names the setting.</exception>
    public static IServiceCollection AddRedisSessionStore(this IServiceCollection services, string connectionString) =>
        services.AddRedisSessionStore(connectionString, (_, _) => { });

    /// <summary>
    /// Uses Redis at <paramref name="connectionString"/>, with <paramref name="configure"/> applied to a copy of its
    /// options on each (re)connect, e.g. to set the client's <c>LoggerFactory</c> from the app's services.
    /// </summary>
    /// <exception cref="InvalidOperationException">The connection string cannot be parsed; the message names the setting.</exception>
    public static IServiceCollection AddRedisSessionStore(this IServiceCollection services, string connectionString, Action<IServiceProvider, ConfigurationOptions> configure)
    {
        var options = Parse(connectionString, ConnectionStringSetting);
        return services.AddRedisSessionStore(provider =>
        {
            var copy = options.Clone();
            configure(provider, copy);
            return Task.FromResult(copy);
        });
    }

    /// <summary>
    /// Uses Redis at <paramref name="endpoint"/> (<c>host:port</c>, e.g. Azure Managed Redis' <c>name.region.redis.azure.net:10000</c>)
    /// over TLS, authenticated with Microsoft Entra ID: <paramref name="credential"/>'s token for
    /// <c>https://redis.azure.com/.default</c> is the password and its <c>oid</c> claim the user. The token is replaced
    /// well before it expires and open connections are re-authenticated with it; every new connection, the client's own
    /// reconnects included, uses the current one. A credential that fails when a connection is made is a store outage
    /// (503 with Retry-After); one that fails at a refresh leaves the current token in use and is tried again.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="endpoint">The Redis endpoint; StackExchange.Redis options may follow it, but not a user or password.</param>
    /// <param name="credential">The identity to authenticate as, e.g. Azure.Identity's <c>ManagedIdentityCredential</c>.</param>
    /// <exception cref="InvalidOperationException">The endpoint cannot be parsed, names none, or carries a user or password.</exception>
    public static IServiceCollection AddRedisSessionStore(this IServiceCollection services, string endpoint, TokenCredential credential) =>
        services.AddRedisSessionStore(endpoint, credential, (_, _) => { });

    /// <summary>
    /// Uses Redis at <paramref name="endpoint"/> with Microsoft Entra ID, as
    /// <see cref="AddRedisSessionStore(IServiceCollection, string, TokenCredential)"/> does, with <paramref name="configure"/>
    /// applied to a copy of its options on each (re)connect, e.g. to set the client's <c>LoggerFactory</c>, or to turn
    /// TLS off (<c>Ssl = false</c>) for a local server. It must not set <c>User</c> or <c>Password</c>: they would
    /// replace the token's.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="endpoint">The Redis endpoint; StackExchange.Redis options may follow it, but not a user or password.</param>
    /// <param name="credential">The identity to authenticate as, e.g. Azure.Identity's <c>ManagedIdentityCredential</c>.</param>
    /// <param name="configure">Adjusts the options of each (re)connect.</param>
    /// <exception cref="InvalidOperationException">The endpoint cannot be parsed, names none, or carries a user or password.</exception>
    public static IServiceCollection AddRedisSessionStore(
        this IServiceCollection services, string endpoint, TokenCredential credential, Action<IServiceProvider, ConfigurationOptions> configure) =>
        services.AddRedisSessionStore(endpoint, credential, configure, RedisEntraIdTokenSource.DefaultCheckInterval);

    /// <summary>The Entra ID registration, with the refresh loop's check interval (tests shorten it).</summary>
    internal static IServiceCollection AddRedisSessionStore(
        this IServiceCollection services, string endpoint, TokenCredential credential, Action<IServiceProvider, ConfigurationOptions> configure,
        TimeSpan refreshCheckInterval)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(configure);
        var options = Parse(endpoint, "The Redis endpoint");
        if (options.User is not null || options.Password is not null)
            throw new InvalidOperationException("The Redis endpoint must not carry a user or password: with Microsoft Entra ID the token is the password.");
        services.TryAddSingleton(TimeProvider.System);
        // The last registration wins, as for the store itself.
        services.RemoveAll<RedisEntraIdTokenSource>();
        services.RemoveAll<RedisEntraIdOptionsProvider>();
        services.AddSingleton(provider => new RedisEntraIdTokenSource(
            credential, provider.GetRequiredService<TimeProvider>(), refreshCheckInterval, provider.GetRequiredService<ILogger<RedisEntraIdTokenSource>>()));
        services.AddSingleton(provider => new RedisEntraIdOptionsProvider(
            DefaultOptionsProvider.GetProvider(options.EndPoints),
            provider.GetRequiredService<RedisEntraIdTokenSource>(),
            provider.GetRequiredService<ILogger<RedisEntraIdOptionsProvider>>()));
        return services.AddRedisSessionStore(async provider =>
        {
            // A credential that fails here fails the connect, which the store reports as an outage and retries.
            await provider.GetRequiredService<RedisEntraIdTokenSource>().GetAsync(CancellationToken.None).ConfigureAwait(false);
            var copy = options.Clone();
            copy.Defaults = provider.GetRequiredService<RedisEntraIdOptionsProvider>();
            copy.Ssl = true;
            configure(provider, copy);
            return copy;
        });
    }

    /// <summary>Uses Redis with options made by <paramref name="configure"/> on each (re)connect, e.g. to add an Entra ID token credential.</summary>
    public static IServiceCollection AddRedisSessionStore(this IServiceCollection services, Func<IServiceProvider, Task<ConfigurationOptions>> configure)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new RedisConnection(
            () => configure(provider), provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<RedisConnection>>()));
        services.AddHostedService<RedisConnectionWarmup>();
        services.RemoveAll<ISessionStore>();
        services.AddSingleton<ISessionStore, RedisSessionStore>();
        return services;
    }

    private static ConfigurationOptions Parse(string connectionString, string what)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException error)
        {
            throw new InvalidOperationException($"{what} is not a valid StackExchange.Redis connection string: {error.Message}", error);
        }
        if (options.EndPoints.Count == 0)
            throw new InvalidOperationException($"{what} names no endpoint; expected e.g. 127.0.0.1:6379.");
        return options;
    }
}

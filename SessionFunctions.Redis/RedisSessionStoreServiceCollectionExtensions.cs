using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SessionFunctions;
using SessionFunctions.Redis;
using StackExchange.Redis;

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
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException error)
        {
            throw new InvalidOperationException($"{ConnectionStringSetting} is not a valid StackExchange.Redis connection string: {error.Message}", error);
        }
        if (options.EndPoints.Count == 0)
            throw new InvalidOperationException($"{ConnectionStringSetting} names no endpoint; expected e.g. 127.0.0.1:6379.");
        return services.AddRedisSessionStore(provider =>
        {
            var copy = options.Clone();
            configure(provider, copy);
            return Task.FromResult(copy);
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
}

using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SessionFunctions.Functions;

/// <summary>Chooses the session store from configuration, as the deployment sets it.</summary>
public static class SessionRedisRegistration
{
    /// <summary>The Redis endpoint in Azure, <c>host:port</c> (Azure Managed Redis: port 10000; Azure Cache for Redis: 6380).</summary>
    public const string HostNameSetting = "Redis:HostName";

    /// <summary>The client id of the app's user-assigned managed identity, as Azure.Identity names it.</summary>
    public const string ClientIdSetting = "AZURE_CLIENT_ID";

    /// <summary>
    /// In Azure (<c>Redis:HostName</c> set): TLS and Microsoft Entra ID with the user-assigned managed identity; the
    /// store refreshes the token and re-authenticates live connections (docs/entra-id.md), and no access key exists
    /// anywhere. Locally (<c>Redis:ConnectionString</c> set): a plain connection string. Neither: the in-memory store.
    /// Either way the Redis client logs through the app's logger factory, so its connection failures land in
    /// Application Insights beside ours and the token refresh's.
    /// </summary>
    public static IServiceCollection AddSessionRedis(this IServiceCollection services, IConfiguration configuration)
    {
        var hostName = configuration[HostNameSetting];
        if (!string.IsNullOrWhiteSpace(hostName))
        {
            var clientId = configuration[ClientIdSetting];
            if (string.IsNullOrWhiteSpace(clientId))
                throw new InvalidOperationException($"{ClientIdSetting} must name the user-assigned managed identity that {HostNameSetting} is reached with.");
            var credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
            return services.AddRedisSessionStore(hostName, credential, (provider, options) => options.LoggerFactory = provider.GetService<ILoggerFactory>());
        }

        var connectionString = configuration[RedisSessionStoreServiceCollectionExtensions.ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString)) return services;
        return services.AddRedisSessionStore(connectionString, (provider, options) => options.LoggerFactory = provider.GetService<ILoggerFactory>());
    }
}

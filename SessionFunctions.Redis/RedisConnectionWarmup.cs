using Microsoft.Extensions.Hosting;

namespace SessionFunctions.Redis;

/// <summary>
/// Opens the Redis connection when the host starts, not inside the first request: that request does not wait for the
/// connect handshake, and the client's connect log is written under its own category (StackExchange.Redis), not under
/// the function that happened to run first. Start-up does not wait for it either: with Redis down the host still
/// starts, the connection keeps trying in the background, and requests answer 503 until it is up.
/// </summary>
internal sealed class RedisConnectionWarmup(RedisConnection connection) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The connection remembers this attempt, so the first request awaits it; a failed attempt is made again there.
        _ = connection.GetDatabaseAsync().ContinueWith(
            static attempt => _ = attempt.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>Redis command counts together with what was measured.</summary>
public static class RedisCommandCounts
{
    /// <summary>
    /// What <paramref name="action"/> returned and the data commands it ran, e.g. <c>(response, {"get":1})</c>. Named
    /// apart from <see cref="RedisServer.CountCommandsAsync"/> because that instance method also accepts this lambda
    /// and would always be chosen over an extension method of the same name.
    /// </summary>
    public static async Task<(T Result, Dictionary<string, long> Commands)> WithCommandCountsAsync<T>(this RedisServer redis, Func<Task<T>> action)
    {
        var result = default(T);
        var commands = await redis.CountCommandsAsync(async () => result = await action());
        return (result!, commands);
    }
}

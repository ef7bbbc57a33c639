using System.Runtime.CompilerServices;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// The suite runs dozens of in-process servers and Redis clients at once in one process. On 2 cores the thread pool
/// starts with 2 threads and adds more only slowly, so while other classes keep bursts of requests in flight, a timer
/// that ends a request's wait for Redis fires late: with the pool at its default, a fault test's 1 s wait ended after
/// 5.9 s in a full run (alone it passes), and with StackExchange.Redis 1.x a first connect waited out its 5 s timeout.
/// Starting the pool with more threads, as StackExchange.Redis' own timeout guidance advises, removes those waits; the
/// production hosts keep the runtime's default, since each has one multiplexer and no test load beside it.
/// </summary>
internal static class TestThreadPool
{
    [ModuleInitializer]
    internal static void Initialize()
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(completionPorts, 32));
    }
}

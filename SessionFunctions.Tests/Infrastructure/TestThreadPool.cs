using System.Runtime.CompilerServices;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// The suite runs many in-process servers at once, each with its own StackExchange.Redis 1.x multiplexer, whose connect
/// handshake completes on the thread pool. On 2 cores the pool starts with 2 threads and adds more only slowly, so
/// while another class kept a burst of requests in flight, a multiplexer's first connect waited out its 5 s connect
/// timeout (its connect log: "did not respond", then connected on the retry), and the first request answered 503: in
/// 5 of 8 runs of the user index tests, Redis and Cluster classes side by side; none in 6 runs with this. Starting
/// the pool with more threads, as StackExchange.Redis' own timeout guidance advises, removes that wait; the production
/// hosts keep the runtime's default, since each has one multiplexer.
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

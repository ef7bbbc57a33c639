using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>Keeps every log entry of the host it is registered in, so a test can check what an operator would see.</summary>
public sealed class CollectingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Collector(Entries);

    public void Dispose() { }

    public sealed record LogEntry(LogLevel Level, EventId Event, string Message);

    private sealed class Collector(ConcurrentQueue<LogEntry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new LogEntry(logLevel, eventId, formatter(state, exception)));
    }
}

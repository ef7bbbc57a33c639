using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SessionFunctions.Bench;

/// <summary>
/// A <c>MONITOR</c> client: Redis sends it every command it executes, saying who sent it (<c>[0 127.0.0.1:port]</c>)
/// or that a script ran it (<c>[0 lua]</c>). So it tells round trips (commands clients sent, an <c>EVALSHA</c> being
/// one) apart from the commands a script runs inside, which <c>INFO commandstats</c> counts as well. MONITOR slows
/// Redis down: it is only for a counting pass, never for a measured round.
/// </summary>
public sealed class RedisMonitor : IAsyncDisposable
{
    /// <summary>Commands that are connection housekeeping, not session work: left out of every count (SELECT is counted apart).</summary>
    public static readonly HashSet<string> Housekeeping =
        ["info", "ping", "client", "echo", "select", "config", "cluster", "subscribe", "unsubscribe", "hello", "auth", "command", "monitor"];

    private readonly TcpClient _client;
    private readonly StreamReader _reader;
    private readonly string _marker = "bench-monitor-end-" + Guid.NewGuid().ToString("N");
    private readonly Dictionary<string, long> _commands = new(StringComparer.Ordinal);
    private long _selects;
    private Task? _reading;

    private RedisMonitor(TcpClient client)
    {
        _client = client;
        _reader = new StreamReader(client.GetStream(), Encoding.UTF8, false, 1 << 20);
    }

    public static async Task<RedisMonitor> StartAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var monitor = new RedisMonitor(client);
        await client.GetStream().WriteAsync("MONITOR\r\n"u8.ToArray());
        var ok = await monitor._reader.ReadLineAsync();
        if (ok != "+OK") throw new InvalidOperationException($"MONITOR answered {ok}.");
        monitor._reading = monitor.ReadAsync();
        return monitor;
    }

    /// <summary>
    /// Stops counting once Redis has shown everything it executed before this call (an <c>ECHO</c> of a marker, sent on
    /// a connection of its own, comes after it), and returns the commands clients sent, by name, and the SELECTs.
    /// </summary>
    public async Task<(Dictionary<string, long> Commands, long Selects)> StopAsync(int port)
    {
        // A command sent fire-and-forget after the answer (the peer's EXPIRE after each HMGET) may still be on its way.
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        // A bare connection: StackExchange.Redis would send a SELECT of its own before the ECHO.
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"*2\r\n$4\r\nECHO\r\n${_marker.Length}\r\n{_marker}\r\n"));
            await stream.ReadExactlyAsync(new byte[1]);
        }
        await _reading!.WaitAsync(TimeSpan.FromSeconds(120));
        return (new Dictionary<string, long>(_commands), _selects);
    }

    private async Task ReadAsync()
    {
        while (await _reader.ReadLineAsync() is { } line)
        {
            if (line.Contains(_marker, StringComparison.Ordinal)) return;
            // 1795322851.320792 [0 127.0.0.1:46822] "evalsha" "…" …   or   … [0 lua] "GET" "…"
            var open = line.IndexOf('[', StringComparison.Ordinal);
            var close = open < 0 ? -1 : line.IndexOf(']', open);
            if (close < 0) continue;
            var source = line[(open + 1)..close];
            if (source.EndsWith(" lua", StringComparison.Ordinal)) continue;
            var start = line.IndexOf('"', close);
            var end = start < 0 ? -1 : line.IndexOf('"', start + 1);
            if (end < 0) continue;
            var name = line[(start + 1)..end].ToLowerInvariant();
            if (name == "select") _selects++;
            else if (!Housekeeping.Contains(name)) _commands[name] = _commands.GetValueOrDefault(name) + 1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        if (_reading is not null)
        {
            try { await _reading; }
            catch (Exception error) when (error is IOException or ObjectDisposedException or SocketException) { }
        }
        _reader.Dispose();
    }
}

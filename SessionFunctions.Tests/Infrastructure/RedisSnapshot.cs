using System.Diagnostics;
using System.Text;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// Every key of a Redis server at one moment: its value and its PTTL in ms (-1: no expiry). Two snapshots tell whether a
/// request changed anything, including a TTL pushed further out (a session kept alive) with the same value.
/// </summary>
public sealed class RedisSnapshot(IReadOnlyDictionary<string, RedisSnapshot.Entry> keys, long takenAt)
{
    public sealed record Entry(byte[] Value, long TtlMs)
    {
        public string Text => Encoding.UTF8.GetString(Value);
    }

    public IReadOnlyDictionary<string, Entry> Keys { get; } = keys;

    /// <summary>When it was taken, in <see cref="Stopwatch"/> ticks.</summary>
    public long TakenAt { get; } = takenAt;

    /// <summary>
    /// What changed since <paramref name="before"/>, one line per key; empty when nothing did. A key that is gone because
    /// its TTL ran out meanwhile is no change.
    /// </summary>
    public List<string> ChangesSince(RedisSnapshot before)
    {
        var elapsedMs = Stopwatch.GetElapsedTime(before.TakenAt, TakenAt).TotalMilliseconds;
        var changes = new List<string>();
        foreach (var (key, old) in before.Keys)
        {
            if (!Keys.TryGetValue(key, out var now))
            {
                // Redis may expire a key up to a few ms late or early relative to our clock: allow for it.
                if (old.TtlMs < 0 || old.TtlMs > elapsedMs + 50) changes.Add($"deleted {key} (it had {Describe(old.TtlMs)})");
                continue;
            }
            if (!old.Value.AsSpan().SequenceEqual(now.Value)) changes.Add($"changed {key}: {Shorten(old.Text)} -> {Shorten(now.Text)}");
            if ((old.TtlMs < 0) != (now.TtlMs < 0)) changes.Add($"TTL of {key}: {Describe(old.TtlMs)} -> {Describe(now.TtlMs)}");
            // A TTL only counts down; one that grew was written again (kept alive), even with the same value.
            else if (now.TtlMs > old.TtlMs) changes.Add($"TTL of {key} extended: {old.TtlMs} ms -> {now.TtlMs} ms");
        }
        foreach (var (key, now) in Keys)
        {
            if (!before.Keys.ContainsKey(key)) changes.Add($"added {key} = {Shorten(now.Text)} ({Describe(now.TtlMs)})");
        }
        return changes;
    }

    private static string Describe(long ttlMs) => ttlMs < 0 ? "no TTL" : $"TTL {ttlMs} ms";

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + $"… ({text.Length} chars)";
}

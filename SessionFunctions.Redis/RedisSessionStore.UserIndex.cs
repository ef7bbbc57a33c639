using SessionFunctions.Storage;
using StackExchange.Redis;

namespace SessionFunctions.Redis;

/// <summary>
/// The user index (<c>Session:UserIdPath</c>) on Redis: one hash per user, field = sid, value = a
/// <see cref="UserIndexEntry"/>'s text. Each command is one script on the index key, so each is atomic, and each names
/// one key, so each runs on a cluster. <see cref="MemorySessionStore"/> does the same in C#; UserIndexStoreContractTests
/// run both (and a cluster) through the same cases.
/// </summary>
internal sealed partial class RedisSessionStore : ISessionUserIndexStore
{
    // An entry's text, read as UserIndexEntry.Parse reads it: "<created> <seen> <label>", each time 1 to 15 ASCII digits
    // (exact as a Lua number). Returns the created time, the seen time and the label as strings (so that they are written
    // back digit for digit; Lua prints a number with 14 significant digits), or nothing for anything else.
    private const string EntryParser = """
        local function ParseEntry(text)
          if not text then return nil end
          local created, seen, label = string.match(text, '^(%d+) (%d+) (.*)$')
          if not created or #created > 15 or #seen > 15 then return nil end
          return created, seen, label
        end

        -- Of the members in a HGETALL reply, the `count` whose time `part` (1 created, 2 seen) is earliest, oldest first,
        -- skipping the fields `skip1` and `skip2`; an entry that cannot be read counts as time 0. A flat {sid, entry, …}.
        -- One pass that keeps `count` members: a large index costs one comparison per member, not a sort.
        local function Earliest(all, count, part, skip1, skip2)
          local picked = {}
          if count < 1 then return picked end
          for i = 1, #all, 2 do
            local field, value = all[i], all[i + 1]
            if field ~= skip1 and field ~= skip2 then
              local at = tonumber(({ParseEntry(value)})[part]) or 0
              if #picked < count or at < picked[#picked][1] then
                local j = #picked
                while j >= 1 and picked[j][1] > at do j = j - 1 end
                table.insert(picked, j + 1, {at, field, value})
                if #picked > count then table.remove(picked) end
              end
            end
          end
          local reply = {}
          for _, member in ipairs(picked) do
            reply[#reply + 1] = member[2]
            reply[#reply + 1] = member[3]
          end
          return reply
        end

        """;

    // KEYS[1] the user's hash; ARGV[2] the sid; ARGV[3] its entry; ARGV[4] the TTL; ARGV[5] the sid it replaces, or '';
    // ARGV[6] '1' to inherit that one's created time and label; ARGV[7] the most members; ARGV[8] the most to name over it.
    // An entry the member already has keeps its created time and label; the key lives at least as long as the session.
    // A new member past the bound gets the least recently seen others back (UserIndexJoin), in the same round trip.
    private static readonly RedisScript Index = new(DeadlineCheck + EntryParser + """
        local key, sid, replaced = KEYS[1], ARGV[2], ARGV[5]
        local _, seen = ParseEntry(ARGV[3])
        local old = redis.call('HGET', key, sid)
        local previous = false
        if replaced ~= '' and replaced ~= sid then previous = redis.call('HGET', key, replaced) end
        local created, _, label = ParseEntry(old)
        if not created and ARGV[6] == '1' then created, _, label = ParseEntry(previous) end
        local entry = ARGV[3]
        if created and seen then entry = created .. ' ' .. seen .. ' ' .. label end
        redis.call('HSET', key, sid, entry)
        if redis.call('TTL', key) < tonumber(ARGV[4]) then redis.call('EXPIRE', key, ARGV[4]) end
        if old then return {} end
        local over = redis.call('HLEN', key) - tonumber(ARGV[7])
        if previous then over = over - 1 end
        if over <= 0 then return {} end
        return Earliest(redis.call('HGETALL', key), math.min(over, tonumber(ARGV[8])), 2, sid, replaced)
        """);

    // KEYS[1] the user's hash; ARGV[1] the most members to read: {the number of members, {sid, entry, …}}, all of them
    // when they fit, else the ARGV[1] created first. Reads only.
    private static readonly RedisScript Members = new(EntryParser + """
        local total = redis.call('HLEN', KEYS[1])
        local limit = tonumber(ARGV[1])
        if total <= limit then return {total, redis.call('HGETALL', KEYS[1])} end
        return {total, Earliest(redis.call('HGETALL', KEYS[1]), limit, 1, nil, nil)}
        """);

    // KEYS[1] the user's hash; ARGV[2] the sid: removes the member.
    private static readonly RedisScript Unindex = new(DeadlineCheck + """
        return redis.call('HDEL', KEYS[1], ARGV[2])
        """);

    // KEYS[1] the user's hash; ARGV[2] the sid; ARGV[3] Unix ms: removes the member unless a save re-indexed it after then.
    private static readonly RedisScript UnindexIf = new(DeadlineCheck + EntryParser + """
        local old = redis.call('HGET', KEYS[1], ARGV[2])
        if not old then return 0 end
        local _, seen = ParseEntry(old)
        if seen and tonumber(seen) > tonumber(ARGV[3]) then return 0 end
        return redis.call('HDEL', KEYS[1], ARGV[2])
        """);

    private static IEnumerable<RedisScript> IndexScripts => [Index, Members, Unindex, UnindexIf];

    Task<IReadOnlyList<KeyValuePair<string, string>>> ISessionUserIndexStore.IndexAsync(
        string indexKey, UserIndexJoin join, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        RunAsync<IReadOnlyList<KeyValuePair<string, string>>>(async database => Pairs(await EvaluateAsync(database, Index, indexKey,
            RedisDeadline(deadline), join.SessionId, join.Entry.Format(), Seconds(join.Ttl), join.Replaces ?? "", join.Inherits ? 1 : 0,
            join.MaxMembers, join.MaxOverBound)));

    Task<UserIndexMembers> ISessionUserIndexStore.MembersAsync(string indexKey, int limit, CancellationToken cancellationToken) =>
        RunAsync(async database =>
        {
            var reply = (RedisResult[])(await EvaluateAsync(database, Members, indexKey, limit))!;
            return new UserIndexMembers(Pairs(reply[1]).ToDictionary(StringComparer.Ordinal), (long)reply[0]);
        });

    Task ISessionUserIndexStore.UnindexAsync(string indexKey, string sessionId, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        RunAsync(database => EvaluateAsync(database, Unindex, indexKey, RedisDeadline(deadline), sessionId));

    Task ISessionUserIndexStore.UnindexIfSeenAtMostAsync(
        string indexKey, string sessionId, long seenAtMost, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        RunAsync(database => EvaluateAsync(database, UnindexIf, indexKey, RedisDeadline(deadline), sessionId, seenAtMost));

    /// <summary>A flat <c>{sid, entry, …}</c> reply as pairs.</summary>
    private static List<KeyValuePair<string, string>> Pairs(RedisResult result)
    {
        var flat = (RedisResult[])result!;
        var pairs = new List<KeyValuePair<string, string>>(flat.Length / 2);
        for (var i = 0; i + 1 < flat.Length; i += 2) pairs.Add(new((string)flat[i]!, (string)flat[i + 1]!));
        return pairs;
    }
}

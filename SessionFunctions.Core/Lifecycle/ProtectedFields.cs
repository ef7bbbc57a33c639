using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;

namespace SessionFunctions.Lifecycle;

/// <summary>
/// The fields that say who the user is (<c>Session:ProtectedPaths</c>): a client's edit may not add, change or remove
/// anything under them. Only a client's body is checked, where the lifecycle applies it; a verified login writes them
/// through <see cref="Write"/>, and a Koa app sharing the store writes them directly.
/// </summary>
internal sealed class ProtectedFields
{
    private readonly (string Pointer, string[] Tokens)[] _paths;

    public ProtectedFields(IOptions<SessionApiOptions> options)
    {
        _paths = [.. ProtectedPaths.Of(options.Value).Select(p => (p, JsonPointer.Tokens(p)))];
    }

    /// <summary>What the protected fields hold before an edit, to compare with what they hold after it.</summary>
    public JsonNode?[] Take(JsonObject data) => [.. _paths.Select(p => Find(data, p.Tokens, out var node) ? node?.DeepClone() : Absent)];

    /// <summary>
    /// After a client's edit: puts back what a replacing body left out (as a <c>PUT</c> keeps the <c>cookie</c> object),
    /// then refuses the edit if any protected field is not exactly as it was.
    /// </summary>
    /// <exception cref="SessionEditRefusedException"><see cref="SessionEditRefusal.ProtectedField"/> (<c>403 protected-field</c>), naming the path.</exception>
    public void Check(JsonObject data, JsonNode?[] before, SessionEdit edit)
    {
        for (var i = 0; i < _paths.Length; i++)
        {
            var (pointer, tokens) = _paths[i];
            var was = before[i];
            if (edit.Kind == SessionEditKind.Replace && !ReferenceEquals(was, Absent) && !Find(edit.Fields, tokens, out _))
                Put(data, tokens, was?.DeepClone());
            var now = Find(data, tokens, out var node) ? node : Absent;
            var same = ReferenceEquals(was, Absent) ? ReferenceEquals(now, Absent) : !ReferenceEquals(now, Absent) && JsonNode.DeepEquals(was, now);
            if (!same)
            {
                throw new SessionEditRefusedException(SessionEditRefusal.ProtectedField,
                    $"{pointer} is protected (Session:ProtectedPaths): a client cannot add, change or remove it; a verified login sets it.");
            }
        }
    }

    /// <summary>Removes every protected field: a verified login starts the new user with nothing of the previous one's.</summary>
    public void Clear(JsonObject data)
    {
        foreach (var (_, tokens) in _paths)
        {
            if (Find(data, tokens[..^1], out var parent) && parent is JsonObject members) members.Remove(tokens[^1]);
        }
    }

    /// <summary>Writes <paramref name="value"/> at <paramref name="pointer"/>, making the objects on the way (replacing any other value there).</summary>
    public static void Write(JsonObject data, string pointer, JsonNode? value) => Put(data, JsonPointer.Tokens(pointer), value, force: true);

    private static readonly JsonNode Absent = JsonValue.Create("\u0000absent")!;

    private static bool Find(JsonNode? node, string[] tokens, out JsonNode? found)
    {
        foreach (var token in tokens)
        {
            switch (node)
            {
                case JsonObject members when members.TryGetPropertyValue(token, out var child):
                    node = child;
                    break;
                case JsonArray items when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < items.Count
                    && (token == "0" || token[0] != '0'):
                    node = items[index];
                    break;
                default:
                    found = null;
                    return false;
            }
        }
        found = node;
        return true;
    }

    /// <summary>
    /// Puts a value back at a path through objects; a path through anything else is left alone (unless
    /// <paramref name="force"/>), so that the check then sees the field gone and refuses the edit.
    /// </summary>
    private static void Put(JsonObject data, string[] tokens, JsonNode? value, bool force = false)
    {
        var node = data;
        foreach (var token in tokens[..^1])
        {
            var present = node.TryGetPropertyValue(token, out var child);
            if (child is JsonObject next)
            {
                node = next;
                continue;
            }
            if (present && !force) return;
            next = [];
            node[token] = next;
            node = next;
        }
        node[tokens[^1]] = value;
    }
}

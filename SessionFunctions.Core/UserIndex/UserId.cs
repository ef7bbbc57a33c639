using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>
/// A user id as the index knows it: the text <c>JSON.stringify</c> writes for the value at <c>Session:UserIdPath</c>,
/// which is what the store holds there (so a session logged in here and one Koa logged in are the same user).
/// </summary>
/// <remarks>
/// Two ids are the same user exactly when that text is the same:
/// <list type="bullet">
/// <item>a string and a number never are: <c>"1"</c> and <c>1</c> are two users;</item>
/// <item>numbers are when they are the same double, as Koa stores each: <c>1</c>, <c>1.0</c>, <c>1e0</c> and <c>10e-1</c>
/// are one user, and so are 9007199254740993 and 9007199254740992 (beyond 2^53 doubles are 2 apart);</item>
/// <item>strings are when every UTF-16 unit is the same: no case folding, no trimming, no Unicode normalization
/// (<c>"é"</c> precomposed and decomposed are two users).</item>
/// </list>
/// Not a user id (the session is then in no index): the empty string, a number beyond the double range (<c>1e400</c>,
/// which JavaScript reads as Infinity and JSON.stringify writes as <c>null</c>), <c>true</c>, <c>null</c>, an object or
/// an array. The index key is a digest of the text, so it is the same length whatever the id, carries no Redis Cluster
/// hash tag, and names no user in plain text (docs/capacity.md, "User index").
/// </remarks>
internal sealed record UserId
{
    private UserId(string json) => Json = json;

    /// <summary>The id's JSON text, as <c>JSON.stringify</c> writes it (a string with its quotes).</summary>
    public string Json { get; }

    /// <summary>The user id at <paramref name="path"/> (a JSON pointer) in a session's data, or null when there is none.</summary>
    public static UserId? Of(JsonObject data, string path)
    {
        JsonNode? node = data;
        foreach (var token in path[1..].Split('/'))
        {
            var name = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject obj => obj.TryGetPropertyValue(name, out var child) ? child : null,
                JsonArray array when int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < array.Count
                    && (name == "0" || name[0] != '0') => array[i],
                _ => null,
            };
            if (node is null) return null;
        }
        return Of(node);
    }

    /// <summary>The user id that <paramref name="value"/> is, or null when it is none (see the remarks).</summary>
    public static UserId? Of(JsonNode? value)
    {
        if (value is not JsonValue id) return null;
        return id.GetValueKind() switch
        {
            JsonValueKind.String when id.GetValue<string>().Length > 0 => new UserId(SessionJson.Serialize(id)),
            // JSON.stringify's text of the number Koa would store: 1.0 is 1, and beyond the double range it is "null".
            JsonValueKind.Number when SessionJson.Serialize(id) is var number && number != "null" => new UserId(number),
            _ => null,
        };
    }

    /// <summary>
    /// The user's index key: <paramref name="prefix"/> + <c>"user:"</c> + base64url of the SHA-256 of the id's text in
    /// UTF-8 (43 characters). The text escapes lone surrogates, so it is always valid UTF-16 and distinct texts hash apart.
    /// </summary>
    public string IndexKey(string prefix) => prefix + "user:" + Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(Json)));

    public override string ToString() => Json;
}

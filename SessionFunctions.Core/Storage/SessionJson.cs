using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace SessionFunctions.Storage;

/// <summary>
/// How session JSON is parsed and written, the same for the store, request bodies and responses. It is written as
/// JavaScript's <c>JSON.stringify</c> writes what <c>JSON.parse</c> read, so a session stores the same text here as in
/// Koa: strings in raw UTF-8, with escapes only for <c>"</c>, <c>\</c>, control characters and lone surrogates; numbers
/// as JavaScript prints a double (<c>1.0</c> → <c>1</c>, <c>1e2</c> → <c>100</c>, <c>-0</c> → <c>0</c>, <c>1e21</c> →
/// <c>1e+21</c>); and in each object the integer-like keys first, in ascending order, then the others as they came.
/// </summary>
internal static class SessionJson
{
    private const int MaxDepth = 64;

    /// <summary>
    /// The deepest stored text read: Koa's <c>JSON.parse</c> reads deeper text than a request body may hold, and a
    /// session Koa stored must stay readable here (else both apps lose it). 1,000 is also System.Text.Json's writer limit.
    /// </summary>
    internal const int StoredMaxDepth = 1000;

    private static readonly JsonDocumentOptions ReadOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    // As JSON.parse reads: a repeated property is allowed, and the last one wins.
    private static readonly JsonDocumentOptions StoredReadOptions = new() { MaxDepth = StoredMaxDepth, AllowDuplicateProperties = true };

    public static string Serialize(JsonNode session)
    {
        var text = new StringBuilder(256);
        Write(text, session);
        return text.ToString();
    }

    /// <summary>
    /// Parses a request body: one JSON value, in valid UTF-8, with no lone surrogate (<c>"\ud800"</c>) in any string.
    /// Throws <see cref="JsonException"/> for invalid JSON, a repeated property name, more than 64 levels, invalid
    /// UTF-8, or a lone surrogate, none of which a client can mean.
    /// </summary>
    public static JsonNode? ParseBody(ReadOnlySpan<byte> utf8)
    {
        // System.Text.Json would read invalid bytes as U+FFFD and store text the client never sent.
        if (!Utf8.IsValid(utf8)) throw new JsonException("The body is not valid UTF-8.");
        try
        {
            var json = JsonNode.Parse(utf8, documentOptions: ReadOptions);
            // Reads every string now; System.Text.Json refuses a lone surrogate escape when a string (or, checking for
            // repeats, a property name) is read.
            if (json is not null && HasLoneSurrogate(json)) throw new InvalidOperationException();
            return json;
        }
        catch (InvalidOperationException)
        {
            throw new JsonException("The body holds a lone UTF-16 surrogate escape (e.g. \"\\ud800\"), which is not text.");
        }
    }

    /// <summary>
    /// Parses stored text as a JSON object, as <c>JSON.parse</c> reads it: nested up to <see cref="StoredMaxDepth"/>
    /// levels, and a repeated property name keeps its first place with its last value. Null for anything else,
    /// including invalid JSON.
    /// </summary>
    /// <remarks>Lone surrogates are accepted here: Koa can store them, and they are written back as Koa writes them.</remarks>
    public static JsonObject? ParseObject(string json) => ParseObject(json, out _);

    /// <summary>As <see cref="ParseObject(string)"/>.</summary>
    /// <param name="json">The stored text.</param>
    /// <param name="repeats">
    /// Whether the text repeats a property name, or may: then it is not the text of the object read, which
    /// <see cref="Serialize"/> gives (as <c>JSON.stringify(JSON.parse(text))</c> does), and no client should get it as is.
    /// </param>
    public static JsonObject? ParseObject(string json, out bool repeats)
    {
        repeats = false;
        if (LoneSurrogateJson.MayContain(json)) return LoneSurrogateJson.Parse(json, StoredMaxDepth, out repeats) as JsonObject;
        try
        {
            // What this service writes parses here, lazily and without a copy; only text it would not write takes the slow path.
            return JsonNode.Parse(json, documentOptions: ReadOptions) as JsonObject;
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException)
        {
            repeats = true;
            return ParseTolerant(json);
        }
    }

    private static JsonObject? ParseTolerant(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, StoredReadOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object ? (JsonObject)Copy(document.RootElement)! : null;
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static JsonNode? Copy(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var json = new JsonObject();
                // The indexer replaces a repeated property's value in place, as a JavaScript object does.
                foreach (var property in element.EnumerateObject()) json[property.Name] = Copy(property.Value);
                return json;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (var item in element.EnumerateArray()) array.Add(Copy(item));
                return array;
            case JsonValueKind.Null:
                return null;
            default:
                return JsonValue.Create(element.Clone());
        }
    }

    private static void Write(StringBuilder text, JsonNode? node)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject json:
                text.Append('{');
                var firstProperty = true;
                foreach (var (name, value) in InJavaScriptOrder(json))
                {
                    if (!firstProperty) text.Append(',');
                    firstProperty = false;
                    WriteString(text, name);
                    text.Append(':');
                    Write(text, value);
                }
                text.Append('}');
                break;
            case JsonArray array:
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0) text.Append(',');
                    Write(text, array[i]);
                }
                text.Append(']');
                break;
            default:
                var kind = node.GetValueKind();
                if (kind == JsonValueKind.String) WriteString(text, node.GetValue<string>());
                else if (kind == JsonValueKind.Number) WriteNumber(text, RawNumber((JsonValue)node));
                else text.Append(node.ToJsonString());
                break;
        }
    }

    /// <summary>
    /// The properties in the order a JavaScript object lists them: array-index keys (<c>"0"</c> … <c>"4294967294"</c>,
    /// no leading zero) first, by value, then the rest in insertion order. Most sessions have none, and keep their order.
    /// </summary>
    private static IEnumerable<KeyValuePair<string, JsonNode?>> InJavaScriptOrder(JsonObject json)
    {
        var hasIndex = false;
        foreach (var property in json)
        {
            if (!IsArrayIndex(property.Key)) continue;
            hasIndex = true;
            break;
        }
        if (!hasIndex) return json;
        return json.Where(p => IsArrayIndex(p.Key)).OrderBy(p => uint.Parse(p.Key, CultureInfo.InvariantCulture))
            .Concat(json.Where(p => !IsArrayIndex(p.Key)));
    }

    private static bool IsArrayIndex(string key)
    {
        if (key.Length is 0 or > 10 || (key[0] == '0' && key.Length > 1)) return false;
        foreach (var c in key)
            if (c is < '0' or > '9') return false;
        return key.Length < 10 || ulong.Parse(key, CultureInfo.InvariantCulture) < uint.MaxValue;
    }

    /// <summary>A number's JSON text: as parsed, or as code set it; without a writer for the two common cases.</summary>
    private static string RawNumber(JsonValue value) =>
        value.TryGetValue<JsonElement>(out var parsed) ? parsed.GetRawText()
        : value.TryGetValue<long>(out var whole) ? whole.ToString(CultureInfo.InvariantCulture)
        : value.ToJsonString();

    /// <summary>
    /// A JSON number as <c>JSON.stringify(JSON.parse(raw))</c> writes it: JavaScript's Number::toString of the nearest
    /// double, or <c>null</c> beyond the double range (JSON.parse makes Infinity of it).
    /// </summary>
    private static void WriteNumber(StringBuilder text, string raw) => text.Append(NumberText(raw));

    /// <summary>
    /// A JSON number's text as <c>JSON.stringify(JSON.parse(raw))</c> writes it: what the store holds for it, so also what
    /// a value read back (a user id, say) compares equal to.
    /// </summary>
    internal static string NumberText(string raw) =>
        // Integers of up to 15 digits are exact doubles that JavaScript prints as they are: the common case, unparsed.
        IsPlainInteger(raw) ? raw : JavaScriptNumber(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture));

    private static bool IsPlainInteger(string raw)
    {
        var digits = raw.AsSpan(raw.StartsWith('-') ? 1 : 0);
        if (digits.Length is 0 or > 15 || (digits[0] == '0' && (digits.Length > 1 || raw.Length > 1))) return false;
        foreach (var c in digits)
            if (c is < '0' or > '9') return false;
        return true;
    }

    /// <summary>ECMAScript's Number::toString(x) for a finite double (radix 10); <c>null</c> for ±Infinity and NaN.</summary>
    internal static string JavaScriptNumber(double x)
    {
        if (!double.IsFinite(x)) return "null";
        if (x == 0) return "0"; // -0 too
        // .NET's round-trip format gives the shortest digits that read back as x, as ECMAScript asks; only the layout differs.
        var shortest = Math.Abs(x).ToString("R", CultureInfo.InvariantCulture);
        string digits;
        int n; // the decimal point sits after n digits (before -n zeros when n <= 0)
        var e = shortest.IndexOf('E', StringComparison.Ordinal);
        if (e >= 0)
        {
            digits = shortest[..e].Replace(".", "", StringComparison.Ordinal);
            n = int.Parse(shortest.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) + 1;
        }
        else
        {
            var dot = shortest.IndexOf('.', StringComparison.Ordinal);
            var whole = dot < 0 ? shortest : shortest[..dot];
            var fraction = dot < 0 ? "" : shortest[(dot + 1)..];
            if (whole != "0")
            {
                digits = whole + fraction;
                n = whole.Length;
            }
            else
            {
                var zeros = fraction.Length - fraction.TrimStart('0').Length;
                digits = fraction[zeros..];
                n = -zeros;
            }
        }
        digits = digits.TrimEnd('0');
        var k = digits.Length;
        var sign = x < 0 ? "-" : "";
        if (k <= n && n <= 21) return sign + digits + new string('0', n - k);
        if (0 < n && n <= 21) return sign + digits[..n] + "." + digits[n..];
        if (-6 < n && n <= 0) return sign + "0." + new string('0', -n) + digits;
        var exponent = n - 1;
        var mantissa = k == 1 ? digits : digits[..1] + "." + digits[1..];
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>ECMAScript's QuoteJSONString.</summary>
    private static void WriteString(StringBuilder text, string value)
    {
        text.Append('"');
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            string? escape = c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\b' => "\\b",
                '\f' => "\\f",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => Unicode(c),
                _ when char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]) => null,
                _ when char.IsLowSurrogate(c) && i > 0 && char.IsHighSurrogate(value[i - 1]) => null,
                _ when char.IsSurrogate(c) => Unicode(c),
                _ => null,
            };
            if (escape is null) continue;
            text.Append(value, start, i - start).Append(escape);
            start = i + 1;
        }
        text.Append(value, start, value.Length - start).Append('"');
    }

    // JavaScript writes these escapes in lower-case hexadecimal.
    private static string Unicode(char c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture);

    private static bool HasLoneSurrogate(JsonNode node) => node switch
    {
        JsonObject json => json.Any(p => ContainsLoneSurrogate(p.Key) || (p.Value is not null && HasLoneSurrogate(p.Value))),
        JsonArray array => array.Any(item => item is not null && HasLoneSurrogate(item)),
        _ => node.GetValueKind() == JsonValueKind.String && ContainsLoneSurrogate(node.GetValue<string>()),
    };

    private static bool ContainsLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (!char.IsSurrogate(value[i])) continue;
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
            else return true;
        }
        return false;
    }
}
